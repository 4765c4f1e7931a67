using System.Net;

namespace Tributary.Mptcp;

/// <summary>
/// A typed MPTCP path-manager event (the allocating, convenient form of <see cref="MptcpEventAttributes"/>):
/// <see cref="MptcpConnectionEvent"/>, <see cref="MptcpConnectionClosedEvent"/>,
/// <see cref="MptcpAddressAnnouncedEvent"/>, <see cref="MptcpAddressRemovedEvent"/>,
/// <see cref="MptcpSubflowEvent"/>, <see cref="MptcpListenerEvent"/>, or <see cref="MptcpUnknownEvent"/>.
/// <see cref="Attributes"/> keeps every attribute the kernel sent.
/// </summary>
public abstract record MptcpEvent(MptcpEventAttributes Attributes)
{
    public MptcpEventType Type => Attributes.Type;

    /// <summary>The typed record for a decoded event (an event missing required attributes becomes <see cref="MptcpUnknownEvent"/>).</summary>
    public static MptcpEvent From(in MptcpEventAttributes a)
    {
        if (a.MissingRequired != MptcpEventAttribute.None)
            return new MptcpUnknownEvent(a);
        return a.Type switch
        {
            MptcpEventType.Created or MptcpEventType.Established => new MptcpConnectionEvent(a),
            MptcpEventType.Closed => new MptcpConnectionClosedEvent(a),
            MptcpEventType.Announced => new MptcpAddressAnnouncedEvent(a),
            MptcpEventType.Removed => new MptcpAddressRemovedEvent(a),
            MptcpEventType.SubflowEstablished or MptcpEventType.SubflowClosed or MptcpEventType.SubflowPriority => new MptcpSubflowEvent(a),
            MptcpEventType.ListenerCreated or MptcpEventType.ListenerClosed => new MptcpListenerEvent(a),
            _ => new MptcpUnknownEvent(a),
        };
    }

    public override string ToString() => Attributes.ToString();
}

/// <summary>CREATED or ESTABLISHED: a connection, its first subflow's addresses, and which side accepted it.</summary>
public sealed record MptcpConnectionEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public uint Token => Attributes.Token;

    public IPEndPoint Local { get; } = Attributes.Local.ToEndPoint()!;

    public IPEndPoint Remote { get; } = Attributes.Remote.ToEndPoint()!;

    public bool ServerSide => Attributes.ServerSide;

    public bool DenyJoinId0 => Attributes.DenyJoinId0;

    public override string ToString() => base.ToString();
}

/// <summary>CLOSED: the connection is gone (the kernel sends no SUB_CLOSED for its subflows, ORACLE s02).</summary>
public sealed record MptcpConnectionClosedEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public uint Token => Attributes.Token;

    public override string ToString() => base.ToString();
}

/// <summary>ANNOUNCED: the peer announced an address (ADD_ADDR); the kernel fills in a port even when the option had none.</summary>
public sealed record MptcpAddressAnnouncedEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public uint Token => Attributes.Token;

    public byte RemoteId => Attributes.RemoteId;

    public IPEndPoint Remote { get; } = Attributes.Remote.ToEndPoint()!;

    public override string ToString() => base.ToString();
}

/// <summary>REMOVED: the peer withdrew an address (REMOVE_ADDR).</summary>
public sealed record MptcpAddressRemovedEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public uint Token => Attributes.Token;

    public byte RemoteId => Attributes.RemoteId;

    public override string ToString() => base.ToString();
}

/// <summary>SUB_ESTABLISHED, SUB_CLOSED or SUB_PRIORITY: one subflow of a connection.</summary>
public sealed record MptcpSubflowEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public uint Token => Attributes.Token;

    public IPEndPoint Local { get; } = Attributes.Local.ToEndPoint()!;

    public IPEndPoint Remote { get; } = Attributes.Remote.ToEndPoint()!;

    public byte LocalId => Attributes.LocalId;

    public byte RemoteId => Attributes.RemoteId;

    /// <summary>The subflow's real backup bit (mptcpd 0.12 always passed true: SUMMARY pitfall 5).</summary>
    public bool Backup => Attributes.Backup;

    /// <summary>The bound interface, or null when the subflow is not bound to a device.</summary>
    public int? InterfaceIndex => Attributes.Has(MptcpEventAttribute.InterfaceIndex) ? Attributes.InterfaceIndex : null;

    public byte? Error => Attributes.Has(MptcpEventAttribute.Error) ? Attributes.Error : null;

    public override string ToString() => base.ToString();
}

/// <summary>LISTENER_CREATED or LISTENER_CLOSED: an MPTCP socket started or stopped listening (any application's).</summary>
public sealed record MptcpListenerEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public IPEndPoint Local { get; } = Attributes.Local.ToEndPoint()!;

    public override string ToString() => base.ToString();
}

/// <summary>An event this version does not know, or one missing attributes its type requires.</summary>
public sealed record MptcpUnknownEvent(MptcpEventAttributes Attributes) : MptcpEvent(Attributes)
{
    public override string ToString() => base.ToString();
}
