namespace Tributary.Flows.Tests.Support;

/// <summary>
/// Synthetic churn for soak tests: many short TCP connections, a few at a time with their packets interleaved, one
/// frame every <c>stepUs</c>. Connection i runs from client 10.(i&gt;&gt;16).(i&gt;&gt;8).i:40000 (ISN 1000+i) to
/// 192.168.0.1:80 (ISN 5000): handshake, 3 bytes each way, then an ending by i % 5 — FIN from the client first, FIN
/// from the server first, RST from the client, RST from the server, or a FIN close the client then aborts with a RST
/// (the socket closed with SO_LINGER 0 while in TIME_WAIT). Every <c>abandonEvery</c>-th connection just goes quiet
/// after its data: only an idle timeout ends it. Frames are built as they are read: a long run costs no memory.
/// </summary>
internal static class Churn
{
    public const long StartUs = 1_700_000_000_000_000L;
    public const string Server = "192.168.0.1";
    public const ushort ServerPort = 80, ClientPort = 40000;

    /// <summary>The client address of connection <paramref name="i"/>.</summary>
    public static string Client(int i) => $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}";

    /// <summary>Frames (Ethernet) of <paramref name="connections"/> connections, <paramref name="concurrent"/> at a time, with their capture times.</summary>
    public static IEnumerable<(byte[] Frame, long Us)> Connections(int connections, int concurrent = 8, long stepUs = 100, int abandonEvery = 0)
    {
        long us = StartUs;
        var batch = new List<byte[][]>(concurrent);
        for (int first = 0; first < connections; first += concurrent)
        {
            batch.Clear();
            for (int i = first; i < Math.Min(connections, first + concurrent); i++)
                batch.Add(Connection(i, abandoned: abandonEvery > 0 && i % abandonEvery == abandonEvery - 1));
            int longest = batch.Max(b => b.Length);
            for (int k = 0; k < longest; k++)
            {
                foreach (byte[][] c in batch)
                {
                    if (k < c.Length)
                    {
                        yield return (c[k], us);
                        us += stepUs;
                    }
                }
            }
        }
    }

    /// <summary>The frames of connection <paramref name="i"/>, in order.</summary>
    public static byte[][] Connection(int i, bool abandoned = false)
    {
        string client = Client(i);
        uint c = 1000 + (uint)i, s = 5000;
        byte[] C(byte flags, uint seq, uint ack, byte[]? data = null) => Frames.Tcp(client, ClientPort, Server, ServerPort, flags, seq, ack, data);
        byte[] S(byte flags, uint seq, uint ack, byte[]? data = null) => Frames.Tcp(Server, ServerPort, client, ClientPort, flags, seq, ack, data);
        var frames = new List<byte[]>
        {
            C(Frames.Syn, c, 0),
            S(Frames.Syn | Frames.Ack, s, c + 1),
            C(Frames.Ack, c + 1, s + 1),
            C(Frames.Psh | Frames.Ack, c + 1, s + 1, Frames.Text("GET")),
            S(Frames.Psh | Frames.Ack, s + 1, c + 4, Frames.Text("OK!")),
        };
        if (abandoned)
            return [.. frames];
        uint cn = c + 4, sn = s + 4;
        switch (i % 5)
        {
            case 0:
                frames.AddRange([C(Frames.Fin | Frames.Ack, cn, sn), S(Frames.Fin | Frames.Ack, sn, cn + 1), C(Frames.Ack, cn + 1, sn + 1)]);
                break;
            case 1:
                frames.AddRange([S(Frames.Fin | Frames.Ack, sn, cn), C(Frames.Fin | Frames.Ack, cn, sn + 1), S(Frames.Ack, sn + 1, cn + 1)]);
                break;
            case 2:
                frames.Add(C(Frames.Rst | Frames.Ack, cn, sn));
                break;
            case 3:
                frames.Add(S(Frames.Rst | Frames.Ack, sn, cn));
                break;
            default:
                frames.AddRange([C(Frames.Fin | Frames.Ack, cn, sn), S(Frames.Fin | Frames.Ack, sn, cn + 1), C(Frames.Ack, cn + 1, sn + 1),
                    C(Frames.Rst, cn + 1, 0)]);
                break;
        }
        return [.. frames];
    }
}
