using System.Globalization;

namespace MlNetRnn.Cli.Predict;

/// <summary>Writes fields of the CSV files <c>predict</c> produces (RFC 4180: a field with a comma, quote or line break is quoted).</summary>
internal static class CsvText
{
    /// <summary>The field as it goes into a CSV line.</summary>
    public static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A float written so that it reads back to the same value.</summary>
    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A double written so that it reads back to the same value.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
