using System.Globalization;

namespace MlNetRnn.Cli.Predict;

/// <summary>The texts of one column of a tab-, comma- or semicolon-separated file with a header row, with the line each starts on.</summary>
internal sealed record TextColumnFile(string[] Texts, int[] Lines, string Column, string Source)
{
    /// <summary>Reads column <paramref name="column"/> (matched without regard to case) of the UTF-8 file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is binary or not UTF-8.</exception>
    /// <exception cref="FormatException">The column is missing (the header's columns are listed), a row is short, or there are no rows.</exception>
    public static TextColumnFile Load(string path, string column)
    {
        InputFile.RequireFile(path, "Data file", "--data");
        return Parse(InputFile.ReadUtf8Text(path, "Data file", "--data"), path, column);
    }

    /// <summary>Parses file content (see <see cref="Load"/>); <paramref name="source"/> names it in messages.</summary>
    public static TextColumnFile Parse(string content, string source, string column)
    {
        var records = CsvRecords.Read(content, source, out char separator);
        if (records.Count == 0)
            throw new FormatException($"{source}: the file is empty; it needs a header row naming the text column '{column}', then one text per row.");
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        int at = Array.FindIndex(header, h => h.Equals(column, StringComparison.OrdinalIgnoreCase));
        if (at < 0)
            throw new FormatException($"{source}: no text column '{column}' in the header ({string.Join(", ", header)}; fields separated by " +
                                      $"{CsvRecords.Describe(separator)}). Pass --column with one of them.");
        var texts = new List<string>();
        var lines = new List<int>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count <= at)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{source}, line {line}: expected at least {at + 1} fields, found {fields.Count}."));
            texts.Add(fields[at]);
            lines.Add(line);
        }
        if (texts.Count == 0)
            throw new FormatException($"{source}: no data rows after the header.");
        return new TextColumnFile(texts.ToArray(), lines.ToArray(), header[at], source);
    }
}
