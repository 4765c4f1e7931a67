namespace Tributary.Flows.Applications.Mptcp;

/// <summary>The outcome of <see cref="MptcpPmCheck.Compare"/>: every finding in output order, and the kernel view it came from.</summary>
public sealed class MptcpPmCheckResult
{
    internal MptcpPmCheckResult(IReadOnlyList<MptcpPmFinding> findings, MptcpKernelView kernel)
    {
        Findings = findings;
        Kernel = kernel;
        Discrepancies = findings.Count(f => f.IsDiscrepancy);
    }

    /// <summary>Per wire connection in row order (each kernel connection matched to it, then its findings); then kernel-only connections; then notes about the whole watch.</summary>
    public IReadOnlyList<MptcpPmFinding> Findings { get; }

    public MptcpKernelView Kernel { get; }

    /// <summary>Findings that are discrepancies, not notes.</summary>
    public int Discrepancies { get; }
}
