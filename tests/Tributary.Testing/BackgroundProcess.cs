using System.Diagnostics;
using System.Text;

namespace Tributary.Testing;

/// <summary>A program running beside a test (ip mptcp monitor, the daemon), its output collected, stopped by its own pid on dispose.</summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    public BackgroundProcess(string fileName, params string[] args)
        : this(fileName, args, null)
    {
    }

    public BackgroundProcess(string fileName, IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {fileName}");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Append(e.Data).Append('\n'); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Output { get { lock (_out) return _out.ToString(); } }

    public string Error { get { lock (_err) return _err.ToString(); } }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Sends a signal to this process only (kill(2) on its pid).</summary>
    public void Signal(int signal) => ProcessRunner.Run("kill", $"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Sends SIGINT and waits for the exit (tcpdump then writes its statistics); kills it after <paramref name="timeout"/> (10 s).</summary>
    public void Interrupt(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
            return;
        Signal(2);
        if (!WaitForExit(timeout ?? TimeSpan.FromSeconds(10)))
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            return false;
        _process.WaitForExit(); // drain the output readers
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal(15);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
                _process.Kill();
        }
        _process.WaitForExit();
        _process.Dispose();
    }
}
