// Kernel tests and the daemon are Linux-only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
