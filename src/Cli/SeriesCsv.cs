using System.Globalization;

namespace MlNetRnn.Cli;

/// <summary>A univariate series read from a CSV file with a header row.</summary>
/// <param name="Values">The chosen column's values, in file order.</param>
/// <param name="Labels">A label per row for plots (for year,period files "1960-01"; else the row number).</param>
/// <param name="Source">Where the data came from (file path or embedded name).</param>
/// <param name="Column">The column used.</param>
internal sealed record SeriesCsv(float[] Values, string[] Labels, string Source, string Column)
{
    /// <summary>Parses CSV text: comma-separated, header row, invariant-culture numbers.</summary>
    /// <exception cref="FormatException">The column is missing, a row is short, or a value is not a finite number (file, line and column named).</exception>
    public static SeriesCsv Parse(string text, string source, string column)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int headerIndex = lines.FindIndex(l => l.Trim().Length > 0);
        if (headerIndex < 0)
            throw new FormatException($"{source}: the file is empty.");
        var header = lines[headerIndex].Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        int valueIndex = Array.FindIndex(header, h => string.Equals(h, column, StringComparison.OrdinalIgnoreCase));
        if (valueIndex < 0)
            throw new FormatException($"{source}: no column '{column}' in the header ({string.Join(", ", header)}). Pass --column with one of them.");
        int yearIndex = Array.FindIndex(header, h => h.Equals("year", StringComparison.OrdinalIgnoreCase));
        int periodIndex = Array.FindIndex(header, h => h.Equals("period", StringComparison.OrdinalIgnoreCase) || h.Equals("month", StringComparison.OrdinalIgnoreCase));

        var values = new List<float>();
        var labels = new List<string>();
        for (int i = headerIndex + 1; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length == 0)
                continue;
            var cells = lines[i].Split(',');
            if (cells.Length <= valueIndex)
                throw new FormatException($"{source}, line {i + 1}: expected at least {valueIndex + 1} fields, found {cells.Length}.");
            string cell = cells[valueIndex].Trim().Trim('"');
            if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                throw new FormatException($"{source}, line {i + 1}: column '{column}' holds '{cell}', which is not a finite number. Fix or remove the row.");
            values.Add(v);
            labels.Add(yearIndex >= 0 && periodIndex >= 0 && cells.Length > Math.Max(yearIndex, periodIndex)
                ? $"{cells[yearIndex].Trim()}-{cells[periodIndex].Trim().PadLeft(2, '0')}"
                : (values.Count - 1).ToString(CultureInfo.InvariantCulture));
        }
        if (values.Count == 0)
            throw new FormatException($"{source}: no data rows after the header.");
        return new SeriesCsv(values.ToArray(), labels.ToArray(), source, header[valueIndex]);
    }

    /// <summary>Reads a CSV file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SeriesCsv Load(string path, string column)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path, column);
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
