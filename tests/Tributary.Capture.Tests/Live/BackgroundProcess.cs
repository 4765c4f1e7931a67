using System.Diagnostics;
using System.Text;

namespace Tributary.Capture.Tests.Live;

/// <summary>A process started by a test (tcpdump, iperf3 server), stopped by its own PID on dispose.</summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();

    public BackgroundProcess(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }

    public int Id => _process.Id;

    /// <summary>Sends SIGINT (by PID) and waits for the exit.</summary>
    public void Interrupt(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
            return;
        ProcessRunner.Run("kill", "-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(10)))
            _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
