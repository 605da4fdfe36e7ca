using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Spectre.Console;

namespace MlNetRnn.Cli.Forecast;

/// <summary>
/// <c>forecast --model FILE --data FILE</c>: the next <c>horizon</c> values from a saved forecaster (its <c>model.zip</c> through
/// ML.NET, or its <c>model.onnx</c> through ONNX Runtime alone), using the last <c>window</c> values of the data as history. No training.
/// </summary>
internal static class ForecastFromModelJob
{
    internal static readonly string[] OwnedFiles = { "forecast.csv", "summary.json" };

    /// <summary>What the command writes to <c>summary.json</c>.</summary>
    internal sealed record Summary
    {
        [JsonPropertyName("model")] public string Model { get; init; } = "";
        [JsonPropertyName("data")] public string Data { get; init; } = "";
        [JsonPropertyName("window")] public int Window { get; init; }
        [JsonPropertyName("horizon")] public int Horizon { get; init; }
        [JsonPropertyName("history_used")] public float[] HistoryUsed { get; init; } = Array.Empty<float>();
        [JsonPropertyName("forecast")] public float[] Forecast { get; init; } = Array.Empty<float>();
    }

    public static Summary Run(ForecastSettings s, string modelPath, IAnsiConsole console)
    {
        ModelFiles.RequireFile(modelPath, "Model file");
        if (s.DataPath is null)
            throw new ArgumentException("--model needs --data FILE: the series whose next values to forecast (its last window values are the history).");
        var series = SeriesCsv.Load(s.DataPath, s.Column);
        string dir = Path.GetFullPath(s.OutputDirectory);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes);
        var (window, horizon, forecast) = modelPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? FromOnnx(modelPath, series)
            : FromZip(modelPath, series);

        var csv = new StringBuilder("step,value\n");
        for (int h = 0; h < forecast.Length; h++)
            csv.Append(CultureInfo.InvariantCulture, $"{h + 1},{forecast[h].ToString("R", CultureInfo.InvariantCulture)}\n");
        var summary = new Summary
        {
            Model = Path.GetFullPath(modelPath), Data = series.Source, Window = window, Horizon = horizon,
            HistoryUsed = series.Values[^window..], Forecast = forecast,
        };
        output.AddText("forecast.csv", csv.ToString());
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        console.MarkupLine($"[bold]mlnet-rnn forecast[/]: {Markup.Escape(Path.GetFileName(modelPath))} (window {window}, horizon {horizon}) on the last {window} values of " +
                           $"{Markup.Escape(series.Source)}; no training.");
        var table = new Table().AddColumn("step").AddColumn(new TableColumn("forecast").RightAligned());
        for (int h = 0; h < forecast.Length; h++)
            table.AddRow((h + 1).ToString(CultureInfo.InvariantCulture), forecast[h].ToString("G6", CultureInfo.InvariantCulture));
        console.Write(table);
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: forecast.csv, summary.json");
        return summary;
    }

    private static (int Window, int Horizon, float[] Forecast) FromZip(string path, SeriesCsv series)
    {
        using var model = new MLContext(seed: 1).Rnn().LoadForecaster(path);
        RequireHistory(series, model.Window, path);
        return (model.Window, model.Horizon, model.Forecast(series.Values));
    }

    private static (int Window, int Horizon, float[] Forecast) FromOnnx(string path, SeriesCsv series)
    {
        byte[] bytes = File.ReadAllBytes(path);
        OnnxModelInfo info;
        try
        {
            info = OnnxModelInfo.Read(bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"'{path}' is not an ONNX model ({ex.Message}).", ex);
        }
        if (!info.Metadata.TryGetValue(OnnxMetadataKeys.Task, out var task) || task != ForecastingOnnxExporter.TaskName)
            throw new InvalidDataException($"'{path}' is not an MlNetRnn forecaster (its task is '{task ?? "not recorded"}'); give the model.onnx or model.zip that forecast wrote.");
        OnnxModelImporter.VerifyWeights(bytes, $"'{path}'", Path.GetDirectoryName(Path.GetFullPath(path)));
        int window = int.Parse(info.Metadata[OnnxMetadataKeys.Window], CultureInfo.InvariantCulture);
        int horizon = int.Parse(info.Metadata[OnnxMetadataKeys.Horizon], CultureInfo.InvariantCulture);
        RequireHistory(series, window, path);
        using var scorer = new OnnxBatchScorer(bytes);
        return (window, horizon, scorer.Score(new[] { series.Values[^window..] })[0]);
    }

    private static void RequireHistory(SeriesCsv series, int window, string path)
    {
        if (series.Values.Length < window)
            throw new ArgumentException($"{series.Source} has {series.Values.Length} values, but the model in '{path}' reads a window of {window}; give at least {window} values.");
    }
}
