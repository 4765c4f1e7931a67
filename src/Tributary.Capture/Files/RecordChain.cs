namespace Tributary.Capture.Files;

/// <summary>
/// What a chain of records (or blocks) from an offset showed to a boundary search: none, a chain, or that bytes past
/// the end of the copy searched are needed to tell.
/// </summary>
internal enum RecordChain
{
    None,
    Found,
    Cut,
}
