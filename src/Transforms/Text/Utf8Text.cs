using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace MlNetRnn.Transforms.Text;

/// <summary>
/// Strict UTF-8 decoding for text the library and the CLI train on: a file in another encoding or a binary file fails with the
/// byte offset and line instead of becoming replacement characters and control characters in a vocabulary.
/// </summary>
internal static class Utf8Text
{
    /// <summary>Decodes <paramref name="bytes"/> as strict UTF-8; <paramref name="source"/> starts every message.</summary>
    /// <exception cref="InvalidDataException">The bytes are binary or not UTF-8.</exception>
    public static string Decode(byte[] bytes, string source)
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
