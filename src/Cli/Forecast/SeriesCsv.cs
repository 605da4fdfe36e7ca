using System.Globalization;

namespace MlNetRnn.Cli.Forecast;

/// <summary>A univariate series read from a CSV file with a header row.</summary>
/// <param name="Values">The chosen column's values, in file order.</param>
/// <param name="Labels">A label per row for plots (for year,period files "1960-01"; else the row number).</param>
/// <param name="Source">Where the data came from (file path or embedded name).</param>
/// <param name="Column">The column used.</param>
internal sealed record SeriesCsv(float[] Values, string[] Labels, string Source, string Column)
{
    /// <summary>
    /// The season the file's period column implies: its largest value (12 for months, 4 for quarters, 1 for a yearly series whose
    /// period is always 1); null without a period column or when a period is not a whole number ≥ 1.
    /// </summary>
    public int? InferredSeason { get; init; }

    /// <summary>
    /// Parses delimited text with a header row and invariant-culture numbers. The separator is a comma, or a semicolon when the header
    /// has semicolons and no comma, or a tab (see <see cref="CsvRecords.DetectSeparator"/>); fields may be double-quoted (RFC 4180).
    /// </summary>
    /// <exception cref="FormatException">The column is missing, a row is short, or a value is not a finite number (file, line and column named).</exception>
    public static SeriesCsv Parse(string text, string source, string column)
    {
        var records = CsvRecords.Read(text, source, out char separator);
        if (records.Count == 0)
            throw new FormatException($"{source}: the file is empty.");
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        int valueIndex = Array.FindIndex(header, h => string.Equals(h, column, StringComparison.OrdinalIgnoreCase));
        if (valueIndex < 0)
        {
            string hint = separator == ',' && header.Any(h => h.Contains(';'))
                ? " The header has both commas and semicolons; give every header name without a comma (or quote it) so the separator can be told."
                : "";
            throw new FormatException($"{source}: no column '{column}' in the header ({string.Join(", ", header)}; fields separated by {CsvRecords.Describe(separator)}). Pass --column with one of them.{hint}");
        }
        int yearIndex = Array.FindIndex(header, h => h.Equals("year", StringComparison.OrdinalIgnoreCase));
        int periodIndex = Array.FindIndex(header, h => h.Equals("period", StringComparison.OrdinalIgnoreCase) || h.Equals("month", StringComparison.OrdinalIgnoreCase));

        var values = new List<float>();
        var labels = new List<string>();
        int? season = periodIndex >= 0 ? 0 : null;
        foreach (var (line, cells) in records.Skip(1))
        {
            if (cells.Count <= valueIndex)
                throw new FormatException($"{source}, line {line}: expected at least {valueIndex + 1} fields, found {cells.Count} (fields separated by {CsvRecords.Describe(separator)}).");
            string cell = cells[valueIndex].Trim();
            if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
            {
                // A semicolon-separated file usually comes from a locale that writes decimals with a comma.
                string hint = separator == ';' && cell.Contains(',')
                    ? " The file is semicolon-separated and this value uses a decimal comma; write decimals with a point (1.5, not 1,5)."
                    : "";
                throw new FormatException($"{source}, line {line}: column '{column}' holds '{cell}', which is not a finite number. Fix or remove the row.{hint}");
            }
            values.Add(v);
            if (season is not null)
                season = periodIndex < cells.Count && int.TryParse(cells[periodIndex].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int period) && period >= 1
                    ? Math.Max(season.Value, period)
                    : null;
            labels.Add(yearIndex >= 0 && periodIndex >= 0 && cells.Count > Math.Max(yearIndex, periodIndex)
                ? $"{cells[yearIndex].Trim()}-{cells[periodIndex].Trim().PadLeft(2, '0')}"
                : (values.Count - 1).ToString(CultureInfo.InvariantCulture));
        }
        if (values.Count == 0)
            throw new FormatException($"{source}: no data rows after the header.");
        return new SeriesCsv(values.ToArray(), labels.ToArray(), source, header[valueIndex]) { InferredSeason = season };
    }

    /// <summary>Reads a UTF-8 CSV file (see <see cref="Parse"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is binary or not UTF-8.</exception>
    public static SeriesCsv Load(string path, string column)
    {
        InputFile.RequireFile(path, "Data file", "--data");
        return Parse(InputFile.ReadUtf8Text(path, "Data file", "--data"), path, column);
    }

    /// <summary>The embedded AirPassengers series (monthly airline passengers, thousands, 1949-1960).</summary>
    public static SeriesCsv AirPassengers(string column)
    {
        using var stream = typeof(SeriesCsv).Assembly.GetManifestResourceStream("MlNetRnn.Cli.Data.AirPassengers.csv")
            ?? throw new InvalidOperationException("The embedded AirPassengers data set is missing from the build.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "embedded AirPassengers.csv", column);
    }
}
