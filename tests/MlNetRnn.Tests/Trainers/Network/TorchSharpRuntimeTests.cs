using System.Buffers.Binary;
using System.Text;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Network;

// TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32, which Debian 12's libstdc++ lacks;
// build/LibTorchSharpFix.targets marks that version need weak in the build output. These tests
// check that the native library loads and that the output copy carries the patch.
public sealed class TorchSharpRuntimeTests
{
    private const string PatchedVersion = "GLIBCXX_3.4.32";
    private const ushort VerFlgWeak = 0x2;

    [Fact]
    public void LstmForwardPassRunsAndReturnsFiniteOutput()
    {
        // libtorch's random generator is process-wide: hold the lock the trainers hold, so seeded fits elsewhere stay reproducible.
        lock (TorchGate.Lock)
        {
            manual_seed(17);
            using var scope = NewDisposeScope();
            using var lstm = nn.LSTM(3, 5, 2, batchFirst: true);
            var x = randn(2, 4, 3);

            var (y, h, c) = lstm.call(x);

            Assert.Equal(new long[] { 2, 4, 5 }, y.shape);
            Assert.Equal(new long[] { 2, 2, 5 }, h.shape);
            Assert.Equal(new long[] { 2, 2, 5 }, c.shape);
            Assert.True(y.isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void LibTorchSharpNextToTestsHasGlibcxxNeedMarkedWeak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Only the Linux ELF library carries the patched version need.
        }

        var baseDir = AppContext.BaseDirectory;
        var candidates = new[]
        {
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(baseDir, "libLibTorchSharp.so"),
        };
        var libraries = candidates.Where(File.Exists).ToList();
        Assert.NotEmpty(libraries);

        foreach (var library in libraries)
        {
            var needs = ReadVersionNeeds(File.ReadAllBytes(library));
            Assert.Contains(needs, n => n.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal)); // the reader works
            Assert.Contains(needs, n => n.Name == PatchedVersion); // TorchSharp 0.107 declares it; if a later version stops, drop the fix
            Assert.All(
                needs.Where(n => n.Name == PatchedVersion),
                n => Assert.True((n.Flags & VerFlgWeak) != 0, $"{PatchedVersion} need is not weak in {library}"));
        }
    }

    // Name and vna_flags of every Vernaux in the SHT_GNU_verneed section of an ELF64 LE file.
    internal static List<(string Name, ushort Flags)> ReadVersionNeeds(byte[] elf)
    {
        Assert.True(elf.Length >= 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F', "not an ELF file");
        Assert.Equal(2, elf[4]); // ELFCLASS64
        Assert.Equal(1, elf[5]); // ELFDATA2LSB

        var span = elf.AsSpan();
        var shoff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3a..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3c..]);

        var needs = new List<(string Name, ushort Flags)>();
        for (var s = 0; s < shnum; s++)
        {
            var header = span.Slice(shoff + s * shentsize, shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != 0x6ffffffe)
            {
                continue; // not SHT_GNU_verneed
            }

            var section = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]));
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
            var count = BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
            var strtabHeader = span.Slice(shoff + link * shentsize, shentsize);
            var strtab = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strtabHeader[24..]));

            var vn = section;
            for (var n = 0u; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(vn + 2)..]);
                var vna = vn + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vn + 8)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = strtab + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vna + 8)..]);
                    var end = elf.AsSpan(name).IndexOf((byte)0);
                    needs.Add((Encoding.ASCII.GetString(elf, name, end), BinaryPrimitives.ReadUInt16LittleEndian(span[(vna + 4)..])));

                    vna += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vna + 12)..]);
                }

                var next = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vn + 12)..]);
                if (next == 0)
                {
                    break;
                }

                vn += next;
            }
        }

        return needs;
    }
}
