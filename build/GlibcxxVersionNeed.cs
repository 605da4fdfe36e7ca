// The libstdc++ fix for TorchSharp's native library, written once for both of its users:
// - the build: build/LibTorchSharpFix.targets compiles this file into its inline MSBuild task (RoslynCodeTaskFactory), which marks
//   the need weak in build and publish outputs;
// - the library: MlNetRnn.Trainers compiles it with MLNETRNN_LIBRARY defined (no MSBuild types) for the run-time fix
//   (LibTorchSharpLoader), which covers hosts that load TorchSharp straight from the NuGet cache (notebook kernels).
// Plain C# 7 without nullable annotations, so the build's compiler takes it as it is.
#nullable disable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !MLNETRNN_LIBRARY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlNetRnn.Trainers.Runtime;

/// <summary>
/// MSBuild task: marks the <c>GLIBCXX_3.4.32</c> version need of each given ELF file weak (VER_FLG_WEAK), by writing a patched copy
/// in the same folder and renaming it over the file (never writing through a hard link into the NuGet cache).
/// </summary>
public class MarkGlibcxxVersionNeedWeak : Task
{
    [Required]
    public ITaskItem[] Files { get; set; }

    public string VersionName { get; set; }

    public override bool Execute()
    {
        string version = string.IsNullOrEmpty(VersionName) ? GlibcxxVersionNeed.DefaultVersion : VersionName;
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            if (!File.Exists(path))
            {
                continue;
            }
            try
            {
                Process(path, version);
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is OverflowException)
            {
                Log.LogWarning(null, "LTSFIX001", null, path, 0, 0, 0, 0, "Could not mark {0} version need weak in {1}: {2}", version, path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private void Process(string path, string version)
    {
        GlibcxxVersionNeed need;
        using (FileStream fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            need = GlibcxxVersionNeed.Read(fs, version);
        }
        if (!need.Found)
        {
            return; // not ELF64 LE, no version needs, or no such need
        }
        if (need.OffendingSymbols.Count > 0)
        {
            Log.LogWarning(null, "LTSFIX002", null, path, 0, 0, 0, 0, "Not marking {0} version need weak in {1}: symbols other than _ZSt21ios_base_library_initv use it ({2}); this build needs a newer libstdc++.",
                version, path, need.DescribeOffending());
            return;
        }
        if (need.AllWeak)
        {
            Log.LogMessage(MessageImportance.Low, "{0} version need already weak in {1}", version, path);
            return;
        }

        // Patch a fresh copy and rename it over the original: atomic, and never writes through a
        // hard link into the NuGet cache.
        DateTime lastWrite = File.GetLastWriteTimeUtc(path);
        string temp = Path.Combine(Path.GetDirectoryName(path), "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            File.Copy(path, temp, true);
            using (FileStream fs = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                need.MarkWeak(fs);
            }
            File.SetLastWriteTimeUtc(temp, lastWrite);
            File.Replace(temp, path, null); // rename(2) on Unix; inline tasks compile against netstandard (no File.Move overwrite)
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
        Log.LogMessage(MessageImportance.Normal, "Marked {0} version need weak in {1}", version, path);
    }
}
#endif

namespace MlNetRnn.Trainers.Runtime
{
    /// <summary>
    /// Where an ELF64 little-endian shared library declares a need for one libstdc++ symbol version (its <c>Vernaux</c> entries in
    /// <c>.gnu.version_r</c>), whether each is weak, and which dynamic symbols are bound to it.
    /// </summary>
    /// <remarks>
    /// TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and needs <c>GLIBCXX_3.4.32</c>, which Debian 12
    /// (up to 3.4.30) lacks, so glibc refuses to load it. The only symbol bound to that version is
    /// <c>_ZSt21ios_base_library_initv</c>, which GCC 13 references from &lt;iostream&gt; purely to force stream initialisation and
    /// which no relocation uses; marking the need VER_FLG_WEAK makes glibc's loader tolerate its absence. When any other symbol is
    /// bound to the version (a newer TorchSharp really calling GCC 13 functions), weakening would only turn a clear load error into an
    /// "undefined symbol" later, so callers leave such a file alone.
    /// </remarks>
    internal sealed class GlibcxxVersionNeed
    {
        /// <summary>The version TorchSharp 0.107's native library needs and Debian 12 lacks.</summary>
        public const string DefaultVersion = "GLIBCXX_3.4.32";

        private const uint ShtGnuVerneed = 0x6ffffffe; // SHT_GNU_verneed (.gnu.version_r)
        private const uint ShtGnuVersym = 0x6fffffff;  // SHT_GNU_versym (.gnu.version)
        private const ushort VerFlgWeak = 0x2;         // VER_FLG_WEAK

        // Symbols that may be bound to the weakened version.
        private static readonly HashSet<string> TolerableSymbols = new HashSet<string> { "_ZSt21ios_base_library_initv" };

        private readonly List<ushort> values = new List<ushort>();

        private GlibcxxVersionNeed(string version)
        {
            Version = version;
        }

        /// <summary>The version name looked for.</summary>
        public string Version { get; }

        /// <summary>File offsets of the <c>vna_flags</c> field of each need for the version.</summary>
        public List<long> FlagOffsets { get; } = new List<long>();

        /// <summary>Dynamic symbols bound to the version other than the tolerable one.</summary>
        public List<string> OffendingSymbols { get; } = new List<string>();

        /// <summary>Whether the file is ELF64 LE and needs the version at all.</summary>
        public bool Found => FlagOffsets.Count > 0;

        /// <summary>Whether every need for the version is already weak (nothing to write).</summary>
        public bool AllWeak => values.TrueForAll(v => (v & VerFlgWeak) != 0);

        /// <summary>Whether the file needs the version non-weakly and may be patched safely.</summary>
        public bool CanBeWeakened => Found && !AllWeak && OffendingSymbols.Count == 0;

        /// <summary>The first offending symbols, for a message.</summary>
        public string DescribeOffending() => string.Join(", ", OffendingSymbols.Count > 5 ? OffendingSymbols.GetRange(0, 5) : OffendingSymbols);

        /// <summary>Sets VER_FLG_WEAK on every need for the version in <paramref name="fs"/> (a writable copy of the file that was read).</summary>
        public void MarkWeak(Stream fs)
        {
            for (int i = 0; i < FlagOffsets.Count; i++)
            {
                ushort value = (ushort)(values[i] | VerFlgWeak);
                fs.Position = FlagOffsets[i];
                fs.WriteByte((byte)(value & 0xff));
                fs.WriteByte((byte)(value >> 8));
            }
        }

        /// <summary>
        /// Reads the needs for <paramref name="version"/> from an ELF file. A file that is not ELF64 little-endian, has no section
        /// headers or does not need the version gives a result with <see cref="Found"/> false.
        /// </summary>
        /// <exception cref="InvalidDataException">The ELF structures point outside the file.</exception>
        public static GlibcxxVersionNeed Read(Stream fs, string version)
        {
            var need = new GlibcxxVersionNeed(version);
            long length = fs.Length;
            if (length < 64)
            {
                return need;
            }
            byte[] eh = ReadAt(fs, 0, 64);
            if (eh[0] != 0x7f || eh[1] != (byte)'E' || eh[2] != (byte)'L' || eh[3] != (byte)'F')
            {
                return need; // not ELF at all: nothing to do
            }
            if (eh[4] != 2 || eh[5] != 1)
            {
                return need; // not ELF64 little-endian (e.g. another platform's build): not ours
            }

            long shoff = checked((long)U64(eh, 0x28));
            int shentsize = U16(eh, 0x3a);
            long shnum = U16(eh, 0x3c);
            if (shoff == 0)
            {
                return need; // no section headers (stripped of them): nothing we can find
            }
            if (shentsize < 64)
            {
                throw new InvalidDataException("section header entry size " + shentsize + " is too small");
            }
            if (shnum == 0)
            {
                // Extended numbering: the real count is in section 0's sh_size.
                shnum = checked((long)U64(ReadAt(fs, shoff, 64), 32));
            }
            if (shnum > 65536 || shoff < 0 || shoff + shnum * shentsize > length)
            {
                throw new InvalidDataException("section header table lies outside the file");
            }
            byte[] sht = ReadAt(fs, shoff, checked((int)(shnum * shentsize)));

            List<int> versionIndexes = new List<int>();
            int versymSection = -1;
            for (int s = 0; s < shnum; s++)
            {
                int h = s * shentsize;
                uint type = U32(sht, h + 4);
                if (type == ShtGnuVersym)
                {
                    versymSection = s;
                }
                if (type != ShtGnuVerneed)
                {
                    continue;
                }
                byte[] sec = SectionBytes(fs, sht, h, length);
                byte[] strtab = SectionBytes(fs, sht, checked((int)(SectionHeader(U32(sht, h + 40), shnum) * shentsize)), length);
                uint count = U32(sht, h + 44); // sh_info: number of Verneed entries
                long vn = 0;
                for (uint n = 0; n < count; n++)
                {
                    Need(sec, vn, 16);
                    int vnCnt = U16(sec, vn + 2);
                    long vna = vn + U32(sec, vn + 8);
                    for (int a = 0; a < vnCnt; a++)
                    {
                        Need(sec, vna, 16);
                        if (CString(strtab, U32(sec, vna + 8)) == version)
                        {
                            need.FlagOffsets.Add(checked((long)U64(sht, h + 24) + vna + 4));
                            need.values.Add(U16(sec, vna + 4));
                            versionIndexes.Add(U16(sec, vna + 6) & 0x7fff); // vna_other
                        }
                        uint next = U32(sec, vna + 12);
                        if (next == 0)
                        {
                            break;
                        }
                        vna += next;
                    }
                    uint vnNext = U32(sec, vn + 12);
                    if (vnNext == 0)
                    {
                        break;
                    }
                    vn += vnNext;
                }
            }
            if (need.FlagOffsets.Count == 0)
            {
                return need; // this file does not need that version
            }

            if (versymSection >= 0)
            {
                // .gnu.version holds one u16 version index per .dynsym entry (its sh_link); the
                // dynamic symbol table's sh_link is its string table.
                int vh = versymSection * shentsize;
                byte[] versym = SectionBytes(fs, sht, vh, length);
                int dh = checked((int)(SectionHeader(U32(sht, vh + 40), shnum) * shentsize));
                byte[] dynsym = SectionBytes(fs, sht, dh, length);
                long symEnt = (long)U64(sht, dh + 56);
                if (symEnt < 24)
                {
                    symEnt = 24;
                }
                byte[] dynstr = SectionBytes(fs, sht, checked((int)(SectionHeader(U32(sht, dh + 40), shnum) * shentsize)), length);
                for (long i = 0; i * 2 + 2 <= versym.Length && (i + 1) * symEnt <= dynsym.Length; i++)
                {
                    int index = U16(versym, i * 2) & 0x7fff;
                    if (!versionIndexes.Contains(index))
                    {
                        continue;
                    }
                    string name = CString(dynstr, U32(dynsym, i * symEnt));
                    if (!TolerableSymbols.Contains(name))
                    {
                        need.OffendingSymbols.Add(name);
                    }
                }
            }
            return need;
        }

        private static long SectionHeader(uint index, long shnum)
        {
            if (index == 0 || index >= shnum)
            {
                throw new InvalidDataException("section link " + index + " is out of range");
            }
            return index;
        }

        private static byte[] SectionBytes(Stream fs, byte[] sht, int h, long length)
        {
            ulong offset = U64(sht, h + 24);
            ulong size = U64(sht, h + 32);
            if (offset > (ulong)length || size > (ulong)length - offset || size > int.MaxValue)
            {
                throw new InvalidDataException("section lies outside the file");
            }
            return ReadAt(fs, (long)offset, (int)size);
        }

        private static byte[] ReadAt(Stream fs, long offset, int count)
        {
            byte[] buffer = new byte[count];
            fs.Position = offset;
            int done = 0;
            while (done < count)
            {
                int n = fs.Read(buffer, done, count - done);
                if (n <= 0)
                {
                    throw new InvalidDataException("unexpected end of file");
                }
                done += n;
            }
            return buffer;
        }

        private static void Need(byte[] b, long offset, int count)
        {
            if (offset < 0 || offset + count > b.Length)
            {
                throw new InvalidDataException("version need entry lies outside .gnu.version_r");
            }
        }

        private static string CString(byte[] b, long offset)
        {
            if (offset < 0 || offset >= b.Length)
            {
                throw new InvalidDataException("string offset lies outside the string table");
            }
            long end = offset;
            while (end < b.Length && b[end] != 0)
            {
                end++;
            }
            return Encoding.ASCII.GetString(b, (int)offset, (int)(end - offset));
        }

        private static ushort U16(byte[] b, long o)
        {
            Bounds(b, o, 2);
            return (ushort)(b[o] | (b[o + 1] << 8));
        }

        private static uint U32(byte[] b, long o)
        {
            Bounds(b, o, 4);
            return (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        }

        private static ulong U64(byte[] b, long o)
        {
            return U32(b, o) | ((ulong)U32(b, o + 4) << 32);
        }

        private static void Bounds(byte[] b, long o, int count)
        {
            if (o < 0 || o + count > b.Length)
            {
                throw new InvalidDataException("read past the end of an ELF structure");
            }
        }
    }
}
