#!/usr/bin/env bash
# Fails with a clear message when the .NET 10 SDK is missing (it is part of this machine kind's image).
set -euo pipefail
if ! command -v dotnet >/dev/null 2>&1; then
  echo "tributary: the .NET 10 SDK ('dotnet') is required but not on PATH" >&2
  exit 1
fi
