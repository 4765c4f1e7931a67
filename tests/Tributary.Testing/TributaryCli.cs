using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Tributary.Testing;

/// <summary>
/// Runs the <c>tributary</c> binary that a test project gets by referencing src/Tributary.Cli (the
/// apphost lands next to the test assembly), as a whole process: exit codes, stdout, stderr, signals.
/// </summary>
public static partial class TributaryCli
{
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "tributary");

    /// <summary>Runs to completion.</summary>
    public static ProcessResult Run(params string[] args) => ProcessRunner.Run(Path, args);

    /// <summary>Runs to completion with standard input and a timeout.</summary>
    public static ProcessResult Run(IEnumerable<string> args, string? standardInput, TimeSpan? timeout = null) =>
        ProcessRunner.Run(Path, args, standardInput, timeout);

    /// <summary>Starts a long-running command (e.g. <c>links</c> without <c>--once</c>) whose output lines are collected.</summary>
    public static RunningCommand Start(params string[] args) => new(args);

    /// <summary>A running <c>tributary</c> process.</summary>
    public sealed class RunningCommand : IDisposable
    {
        private readonly Process _process;
        private readonly BlockingCollection<string> _lines = [];
        private readonly StringBuilder _stderr = new();

        internal RunningCommand(string[] args)
        {
            var psi = new ProcessStartInfo(Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in args)
                psi.ArgumentList.Add(a);
            _process = new Process { StartInfo = psi };
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                    _lines.CompleteAdding();
                else
                    _lines.Add(e.Data);
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_stderr)
                        _stderr.AppendLine(e.Data);
                }
            };
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int ProcessId => _process.Id;

        public string StandardError
        {
            get
            {
                lock (_stderr)
                    return _stderr.ToString();
            }
        }

        /// <summary>The next stdout line, or throws after the timeout.</summary>
        public string ReadLine(TimeSpan? timeout = null)
        {
            if (_lines.TryTake(out string? line, timeout ?? TaskTimeouts.Default))
                return line;
            throw new TimeoutException($"no output line from tributary in time; stderr: {StandardError}");
        }

        /// <summary>Lines that arrive until none came for <paramref name="quiet"/>.</summary>
        public List<string> ReadUntilQuiet(TimeSpan quiet)
        {
            var lines = new List<string>();
            while (_lines.TryTake(out string? line, quiet))
                lines.Add(line);
            return lines;
        }

        /// <summary>Sends a signal (SIGINT 2, SIGTERM 15) and waits for the exit code.</summary>
        public int Signal(int signal, TimeSpan? timeout = null)
        {
            if (kill(_process.Id, signal) != 0)
                throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
            if (!_process.WaitForExit(timeout ?? TaskTimeouts.Default))
                throw new TimeoutException($"tributary did not exit after signal {signal}");
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
