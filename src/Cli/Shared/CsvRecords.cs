using System.Globalization;
using System.Text;

namespace MlNetRnn.Cli.Shared;

/// <summary>
/// Splits delimited text (CSV, semicolon-separated or TSV) into records of fields. Both CLI readers (the forecast series and the
/// classify texts) go through this one splitter, so quoting and separator detection behave the same in both.
/// </summary>
/// <remarks>
/// With a comma or semicolon separator, fields follow RFC 4180: a field that starts with a double quote runs to the matching
/// closing quote, may hold separators and line breaks, and writes a quote as two quotes. A quote in the middle of an unquoted
/// field is kept as text (common in hand-written files). Tab-separated files have no quoting: quotes there are text (the
/// embedded review sentences rely on that).
/// </remarks>
internal static class CsvRecords
{
    /// <summary>One record: the 1-based line it starts on and its fields (quotes removed, not trimmed).</summary>
    internal readonly record struct Record(int Line, IReadOnlyList<string> Fields);

    /// <summary>
    /// Picks the separator from the header line: a tab when it has one; else a semicolon when it has semicolons but no comma
    /// (the usual export of spreadsheets in locales with a decimal comma); else a comma.
    /// </summary>
    public static char DetectSeparator(string headerLine) =>
        headerLine.Contains('\t') ? '\t'
        : headerLine.Contains(';') && !headerLine.Contains(',') ? ';'
        : ',';

    /// <summary>A name for <paramref name="separator"/> in messages.</summary>
    public static string Describe(char separator) => separator switch
    {
        '\t' => "tab",
        ';' => "semicolon (;)",
        _ => "comma (,)",
    };

    /// <summary>
    /// The records of <paramref name="text"/>, skipping lines that are empty or hold only whitespace. The separator is detected from
    /// the first non-blank line (see <see cref="DetectSeparator"/>).
    /// </summary>
    /// <exception cref="FormatException">A quoted field is never closed (the line where it starts is named).</exception>
    public static List<Record> Read(string text, string source, out char separator)
    {
        separator = ',';
        int start = 0;
        int line = 1;
        // Find the header to choose the separator: its first physical line is enough (a header never holds line breaks in practice).
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            string first = (end < 0 ? text[start..] : text[start..end]).TrimEnd('\r');
            if (first.Trim().Length > 0)
            {
                separator = DetectSeparator(first);
                break;
            }
            if (end < 0)
                break;
            start = end + 1;
            line++;
        }
        var records = new List<Record>();
        bool quoting = separator != '\t';
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, blank = true;
        int recordLine = line, quoteLine = line;
        for (int i = start; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : '\n';
            if (quoted)
            {
                if (i == text.Length)
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                        $"{source}, line {quoteLine}: a quoted field starts here but its closing double quote is missing. Close the quote, or write a quote inside a quoted field as two quotes (\"\")."));
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        current.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                        line++;
                    current.Append(c);
                }
                continue;
            }
            if (c == '\n')
            {
                fields.Add(TrimCarriageReturn(current));
                current.Clear();
                if (!blank)
                    records.Add(new Record(recordLine, fields.ToArray()));
                fields.Clear();
                blank = true;
                line++;
                recordLine = line;
                continue;
            }
            if (quoting && c == '"' && current.Length == 0)
            {
                quoted = true;
                quoteLine = line;
                blank = false;
                continue;
            }
            if (c == separator)
            {
                fields.Add(current.ToString());
                current.Clear();
                blank = false;
                continue;
            }
            if (!char.IsWhiteSpace(c))
                blank = false;
            current.Append(c);
        }
        return records;
    }

    // A CRLF file leaves '\r' at the end of each record's last field.
    private static string TrimCarriageReturn(StringBuilder field) =>
        field.Length > 0 && field[^1] == '\r' ? field.ToString(0, field.Length - 1) : field.ToString();
}
