using System.Globalization;

namespace MlNetRnn.Cli.Sequence;

/// <summary>
/// A CSV/TSV file of float sequences: one row per sequence, a label column, and every other column a feature, in file order (steps one
/// after another, <c>FeaturesPerStep</c> values each). Also the embedded handwritten digits (8×8, read row by row).
/// </summary>
internal sealed record SequenceTable(string Source, string[] Labels, float[][] Features, string[] FeatureNames, int[] Lines)
{
    /// <summary>The embedded digits (data/sequences/digits.csv: UCI optical digits test set, CC BY 4.0).</summary>
    public static SequenceTable Digits()
    {
        using var stream = typeof(SequenceTable).Assembly.GetManifestResourceStream("MlNetRnn.Cli.Data.digits.csv")
                           ?? throw new InvalidOperationException("The embedded digits are missing from this build of mlnet-rnn.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "embedded handwritten digits (UCI, 8x8)", "label");
    }

    /// <summary>Reads <paramref name="path"/>; every error names the file, the line and the column.</summary>
    /// <exception cref="ArgumentException">The label column is missing, a feature is not a finite number, or there are fewer than 2 rows.</exception>
    public static SequenceTable Load(string path, string labelColumn)
    {
        InputFile.RequireFile(path, "Data file", "--data");
        return Parse(InputFile.ReadUtf8Text(path, "data file", "--data"), $"'{path}'", labelColumn);
    }

    /// <summary>
    /// Reads rows to score: every column is a value, except <paramref name="labelColumn"/> (any case) when the header has it (its values are kept
    /// as <see cref="Labels"/>, empty strings otherwise). With <paramref name="ragged"/>, a row may end early: its first empty field ends
    /// the sequence and every field after it must be empty too.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not a finite number, a ragged row has a value after a gap or none at all, or there are no data rows.</exception>
    public static SequenceTable LoadForScoring(string path, string? labelColumn, bool ragged = false)
    {
        InputFile.RequireFile(path, "Data file", "--data");
        return Parse(InputFile.ReadUtf8Text(path, "data file", "--data"), $"'{path}'", labelColumn, labelRequired: false, ragged);
    }

    private static SequenceTable Parse(string text, string source, string? labelColumn, bool labelRequired = true, bool ragged = false)
    {
        var records = CsvRecords.Read(text, source, out _);
        if (records.Count < (labelRequired ? 3 : 2))
            throw new ArgumentException($"{source} has {Math.Max(0, records.Count - 1)} data row(s); at least {(labelRequired ? 2 : 1)} sequence(s) are needed (plus a header row).");
        var header = records[0].Fields;
        // Scoring matches the model's label column ignoring case: the CLI's models record ML.NET's column ('Label'), files say 'label'.
        var comparison = labelRequired ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        int label = labelColumn is null ? -1 : header.ToList().FindIndex(h => string.Equals(h.Trim(), labelColumn, comparison));
        if (label < 0 && labelRequired)
            throw new ArgumentException($"{source}: no column named '{labelColumn}' in the header ({string.Join(", ", header.Select(h => $"'{h}'"))}). Pass --label-column with one of them.");
        var featureNames = header.Where((_, i) => i != label).ToArray();
        if (featureNames.Length == 0)
            throw new ArgumentException($"{source}: the only column is the label '{labelColumn}'; the other columns hold each sequence's values.");
        var lines = new int[records.Count - 1];
        var labels = new string[records.Count - 1];
        var features = new float[records.Count - 1][];
        for (int r = 1; r < records.Count; r++)
        {
            var fields = records[r].Fields;
            if (fields.Count != header.Count)
                throw new ArgumentException($"{source}, line {records[r].Line}: {fields.Count} fields, but the header has {header.Count}.");
            labels[r - 1] = label < 0 ? string.Empty : fields[label].Trim();
            lines[r - 1] = records[r].Line;
            var row = new float[featureNames.Length];
            int f = 0, end = -1;
            for (int c = 0; c < fields.Count; c++)
            {
                if (c == label)
                    continue;
                if (ragged && string.IsNullOrWhiteSpace(fields[c]))
                {
                    end = end < 0 ? f : end;
                    f++;
                    continue;
                }
                if (end >= 0)
                    throw new ArgumentException($"{source}, line {records[r].Line}, column '{header[c]}': a value after an empty field. A shorter sequence ends with its first empty field; leave every field after it empty.");
                if (!float.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
                    throw new ArgumentException($"{source}, line {records[r].Line}, column '{header[c]}': '{fields[c]}' is not a finite number. Every column but the label is a feature value.");
                row[f++] = value;
            }
            if (end == 0)
                throw new ArgumentException($"{source}, line {records[r].Line}: the row holds no values; drop empty sequences before scoring.");
            features[r - 1] = end > 0 ? row[..end] : row;
        }
        return new SequenceTable(source, labels, features, featureNames, lines);
    }
}
