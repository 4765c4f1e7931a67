using Tributary.Flows.Applications.Mptcp;

namespace Tributary.Flows.Tests.Mptcp;

/// <summary>
/// Token = most significant 32 bits, IDSN = least significant 64 bits of SHA-256 (version 1, RFC 8684 §3.1) or SHA-1
/// (version 0, RFC 6824 §3.1) of the key in network byte order. Expected values come from outside this code:
/// tshark's <c>mptcp.expected_token</c>/<c>mptcp.expected_idsn</c> for keys in the corpus, and Python's hashlib:
/// <c>h = hashlib.sha256(struct.pack('>Q', key)).digest(); h[:4].hex(), h[-8:].hex()</c> (sha1 for version 0).
/// </summary>
public sealed class MptcpKeysTests
{
    [Theory]
    // gen__mptcp_any_sll2.pcap frame 8 (server's key) and frame 9 (client's key): tshark 4.0 expected_token / expected_idsn.
    [InlineData(5501649044337455545UL, 1, 4279360849U, 14835249701243584635UL)]
    [InlineData(3793925463796642321UL, 1, 4144213389U, 13291842845602607208UL)]
    // pub__mptcp__client_2_sll.pcap frame 2 (version 0 SYN key): tshark 4.0 expected_token / expected_idsn.
    [InlineData(14568871653868829995UL, 0, 2280993044U, 5947950023132234492UL)]
    // Python hashlib.
    [InlineData(0x0102030405060708UL, 1, 0x66840ddaU, 0xf5a101d3d29d6f72UL)]
    [InlineData(0x0102030405060708UL, 0, 0xdd5783bcU, 0x3a95ed6e4ebb4ad5UL)]
    [InlineData(0x1112131415161718UL, 1, 0xccad45acU, 0x535beea38e087c8eUL)]
    [InlineData(0x1112131415161718UL, 0, 0x3383d918U, 0x9e1ae42f702627a9UL)]
    public void Token_and_idsn_are_the_ends_of_the_key_hash(ulong key, int version, uint token, ulong idsn)
    {
        Assert.Equal(token, MptcpKeys.Token(key, version));
        Assert.Equal(idsn, MptcpKeys.Idsn(key, version));
    }

    [Fact]
    public void Versions_without_a_defined_hash_are_refused()
    {
        Assert.False(MptcpKeys.IsKnownVersion(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => MptcpKeys.Token(1, 2));
    }
}
