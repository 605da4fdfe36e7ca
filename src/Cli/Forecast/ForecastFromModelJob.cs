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
        [JsonPropertyName("interval_coverage")] public double? IntervalCoverage { get; init; }
        [JsonPropertyName("lower")] public float[]? Lower { get; init; }
        [JsonPropertyName("upper")] public float[]? Upper { get; init; }
    }

    private sealed record Prediction(int Window, int Horizon, float[] Forecast, float[]? Lower, float[]? Upper, double? Coverage);

    public static Summary Run(ForecastSettings s, string modelPath, IAnsiConsole console)
    {
        ModelFiles.RequireFile(modelPath, "Model file");
        if (s.DataPath is null)
            throw new ArgumentException("--model needs --data FILE: the series whose next values to forecast (its last window values are the history).");
        var series = SeriesCsv.Load(s.DataPath, s.Column);
        string dir = Path.GetFullPath(s.OutputDirectory);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes);
        var p = modelPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? FromOnnx(modelPath, series)
            : FromZip(modelPath, series);
        var (window, horizon, forecast) = (p.Window, p.Horizon, p.Forecast);

        static string R(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        var csv = new StringBuilder(p.Lower is null ? "step,value\n" : "step,value,lower,upper\n");
        for (int h = 0; h < forecast.Length; h++)
            csv.Append(p.Lower is null ? $"{h + 1},{R(forecast[h])}\n" : $"{h + 1},{R(forecast[h])},{R(p.Lower[h])},{R(p.Upper![h])}\n");
        var summary = new Summary
        {
            Model = Path.GetFullPath(modelPath), Data = series.Source, Window = window, Horizon = horizon,
            HistoryUsed = series.Values[^window..], Forecast = forecast, IntervalCoverage = p.Coverage, Lower = p.Lower, Upper = p.Upper,
        };
        output.AddText("forecast.csv", csv.ToString());
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        console.MarkupLine($"[bold]mlnet-rnn forecast[/]: {Markup.Escape(Path.GetFileName(modelPath))} (window {window}, horizon {horizon}) on the last {window} values of " +
                           $"{Markup.Escape(series.Source)}; no training.");
        var table = new Table().AddColumn("step").AddColumn(new TableColumn("forecast").RightAligned());
        if (p.Lower is not null)
            table.AddColumn(new TableColumn($"{p.Coverage:P0} interval").RightAligned());
        for (int h = 0; h < forecast.Length; h++)
        {
            string step = (h + 1).ToString(CultureInfo.InvariantCulture), value = forecast[h].ToString("G6", CultureInfo.InvariantCulture);
            if (p.Lower is null)
                table.AddRow(step, value);
            else
                table.AddRow(step, value, string.Create(CultureInfo.InvariantCulture, $"{p.Lower[h]:G6} .. {p.Upper![h]:G6}"));
        }
        console.Write(table);
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: forecast.csv, summary.json");
        return summary;
    }

    private static Prediction FromZip(string path, SeriesCsv series)
    {
        using var model = new MLContext(seed: 1).Rnn().LoadForecaster(path);
        RequireHistory(series, model.Window, path);
        if (model.IntervalCoverage is null)
            return new Prediction(model.Window, model.Horizon, model.Forecast(series.Values), null, null, null);
        var band = model.ForecastWithInterval(series.Values);
        return new Prediction(model.Window, model.Horizon, band.Forecast, band.Lower, band.Upper, band.Coverage);
    }

    private static Prediction FromOnnx(string path, SeriesCsv series)
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
        string input = info.Metadata[OnnxMetadataKeys.InputName], score = info.Metadata[OnnxMetadataKeys.OutputName];
        double? coverage = OnnxModelImporter.ReadForecastingDescription(info.Metadata).Interval?.Coverage;
        string[] outputs = coverage is null ? new[] { score } : new[] { score, score + "Lower", score + "Upper" };
        // ONNX Runtime alone, as a deployment without ML.NET would run it: one batch-1 call for the forecast and its band.
        using var session = OnnxSessionFactory.Create(bytes, ExecutionDevice.Cpu, out _, out _);
        var tensor = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(series.Values[^window..], new[] { 1, window });
        using var results = session.Run(new[] { Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(input, tensor) }, outputs);
        var values = outputs.Select(name => results.First(r => r.Name == name).AsEnumerable<float>().ToArray()).ToArray();
        return coverage is null
            ? new Prediction(window, horizon, values[0], null, null, null)
            : new Prediction(window, horizon, values[0], values[1], values[2], coverage);
    }

    private static void RequireHistory(SeriesCsv series, int window, string path)
    {
        if (series.Values.Length < window)
            throw new ArgumentException($"{series.Source} has {series.Values.Length} values, but the model in '{path}' reads a window of {window}; give at least {window} values.");
    }
}
