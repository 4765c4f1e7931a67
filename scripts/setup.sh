#!/usr/bin/env bash
# Installs what the test suite and the benchmarks use when it is missing: real peers and tools
# (tcpdump, tshark, tcpflow, tcpreplay, iperf3, ip/mptcp, mptcpd 0.12 with its addr_adv/sspi plugins), libpcap for filter
# compilation, gcc + kernel and libpcap headers for the struct-layout tests, make for the C peers. Idempotent and quiet when
# everything is already there. Needs root (as CI runs) when something must be installed.
set -euo pipefail
packages=(iproute2 ethtool procps gcc libc6-dev linux-libc-dev libpcap0.8 tcpdump tshark wireshark-common tcpflow
          tcpreplay iperf3 mptcpd mptcpd-plugins python3 util-linux libpcap-dev make)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
"$(dirname "$0")/ensure-dotnet.sh"
