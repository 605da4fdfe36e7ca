using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace MlNetRnn.Cli.Shared;

/// <summary>
/// Checks and reads the files a command is given (--data, --corpus, --model), so a wrong path, a folder, a binary file or text in
/// another encoding fails at once with the file, the place and what to do, instead of training on replacement characters.
/// </summary>
internal static class InputFile
{
    /// <summary>Throws when <paramref name="path"/> is a folder or does not exist.</summary>
    /// <param name="path">Full path of the file.</param>
    /// <param name="what">What the file is, capitalised ("Data file", "Corpus file", "Model file").</param>
    /// <param name="option">The option that named it ("--data").</param>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    public static void RequireFile(string path, string what, string option)
    {
        if (Directory.Exists(path))
            throw new IOException($"{what} '{path}' ({option}) is a folder; a file is expected. Give the path of the file inside it.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{what} '{path}' ({option}) does not exist.", path);
    }

    /// <summary>
    /// Reads a text file that must be UTF-8 (a UTF-8 byte-order mark is allowed and dropped). Refuses files in UTF-16/UTF-32, files
    /// with bytes that are not UTF-8, and binary files (a NUL byte, or a control character other than tab, line feed, carriage
    /// return and form feed), naming the byte offset and line.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is binary or not UTF-8 (file, byte offset, line and byte named).</exception>
    public static string ReadUtf8Text(string path, string what, string option) => DecodeUtf8(File.ReadAllBytes(path), $"{what} '{path}' ({option})");

    /// <summary>Decodes <paramref name="bytes"/> as strict UTF-8; <paramref name="source"/> starts every message.</summary>
    /// <exception cref="InvalidDataException">The bytes are binary or not UTF-8.</exception>
    internal static string DecodeUtf8(byte[] bytes, string source)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            span = span[3..];
        else if (span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            throw new InvalidDataException($"{source} is UTF-16 or UTF-32 text (it starts with a byte-order mark {span[0]:X2} {span[1]:X2}); only UTF-8 is read. " +
                                           "Save it as UTF-8 (for example: iconv -f UTF-16 -t UTF-8 in.txt > out.txt) and run again.");
        int offset = bytes.Length - span.Length;
        // Control characters are checked on the bytes (all are ASCII, so never part of a multi-byte sequence): a NUL or other
        // control byte means a binary file (or UTF-16 without a byte-order mark), which a decoder would happily accept.
        int control = span.IndexOfAnyExcept(s_textBytes);
        var status = Utf8.ToUtf16(span, new char[span.Length], out int valid, out _, replaceInvalidSequences: false);
        int invalid = status == OperationStatus.Done ? -1 : valid;
        if (control >= 0 && (invalid < 0 || control <= invalid))
        {
            int at = offset + control;
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source} looks like a binary file, not text: byte offset {at} (line {LineOf(bytes, at)}) holds the control byte 0x{bytes[at]:X2}. Give a UTF-8 text file (a NUL byte also means UTF-16 text without a byte-order mark: save it as UTF-8)."));
        }
        if (invalid >= 0)
        {
            int at = offset + invalid;
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source} is not valid UTF-8: byte offset {at} (line {LineOf(bytes, at)}) holds 0x{bytes[at]:X2}, which does not start or continue a UTF-8 character (the file is probably Latin-1/Windows-1252, or truncated). Convert it to UTF-8 (for example: iconv -f WINDOWS-1252 -t UTF-8 in.txt > out.txt) and run again."));
        }
        return Encoding.UTF8.GetString(span);
    }

    // Every byte allowed without a closer look: printable ASCII, tab, line feed, form feed, carriage return, and all bytes >= 0x80
    // (UTF-8 lead and continuation bytes, checked by the decoder). DEL (0x7F) is a control character too.
    private static readonly SearchValues<byte> s_textBytes = SearchValues.Create(
        Enumerable.Range(0, 256).Where(b => b is '\t' or '\n' or '\f' or '\r' || (b >= 0x20 && b != 0x7F)).Select(b => (byte)b).ToArray());

    private static int LineOf(byte[] bytes, int offset) => bytes.AsSpan(0, offset).Count((byte)'\n') + 1;
}
