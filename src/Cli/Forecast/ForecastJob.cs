using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Spectre.Console;

namespace MlNetRnn.Cli.Forecast;

/// <summary>
/// The <c>forecast</c> command's work: hold out the last <c>horizon</c> points, train on the rest, forecast the
/// hold-out from the last training window, compare with seasonal naive, and write model and report files.
/// </summary>
internal static class ForecastJob
{
    private sealed class SeriesRow
    {
        public float Value { get; set; }
    }

    /// <summary>The files a forecast run writes; they are replaced together (see <see cref="OutputSet"/>).</summary>
    internal static readonly string[] OwnedFiles = { "model.onnx", "model.zip", "forecast.png", "summary.json" };

    public static ForecastSummary Run(ForecastSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var series = s.DataPath is null ? SeriesCsv.AirPassengers(s.Column) : SeriesCsv.Load(s.DataPath, s.Column);
        string dir = Path.GetFullPath(s.OutputDirectory);
        int holdoutStart = series.Values.Length - s.Horizon;
        var (season, seasonSource) = s.Season is { } given ? (given, "given")
            : series.InferredSeason is { } inferred ? (inferred, "period column")
            : (12, "assumed (no period column; pass --season)");
        if (holdoutStart < season)
            throw new ArgumentException($"--season must be between 1 and the training length ({Math.Max(holdoutStart, 0)}); got {season}.");
        s = s.Resolve(season, holdoutStart);
        if (holdoutStart < s.LinearWindow + s.Horizon)
            throw new ArgumentException(
                $"{series.Source} has {series.Values.Length} values; holding out the last {s.Horizon} leaves {Math.Max(holdoutStart, 0)}, " +
                $"but training needs at least window + horizon = {s.LinearWindow + s.Horizon}. Use a longer series or a smaller --window/--linear-window/--horizon.");
        if (s.UsesSeasonalReference && s.Window < season)
            throw new ArgumentException(
                $"--window {s.Window} is shorter than the season {season}, but the seasonal-naive reference is read off the window. Use --window {season} or more, or --reference level.");
        // The weights go into model.onnx and again into model.zip; the estimate makes a full disk fail now, not after training.
        long weights = s.Members * ModelSizeEstimate.WeightBytes(s.Cell, 1, s.Hidden, s.Layers, s.Bidirectional, s.Horizon);
        using var output = OutputSet.Open(dir, OwnedFiles, 2 * weights + ModelSizeEstimate.ReportBytes);
        float[] train = series.Values[..holdoutStart];
        float[] actual = series.Values[holdoutStart..];
        bool log = s.LogTransform && train.All(v => v > 0);

        console.MarkupLine($"[bold]mlnet-rnn forecast[/]: {Markup.Escape(series.Source)} (column '{Markup.Escape(series.Column)}', {series.Values.Length} points); " +
                           $"training on {series.Labels[0]}..{series.Labels[holdoutStart - 1]}, forecasting {series.Labels[holdoutStart]}..{series.Labels[^1]}.");
        console.MarkupLine($"{(s.Members > 1 ? $"mean of {s.Members} " : "")}{s.Cell}, hidden {s.Hidden}, {s.Layers} layer(s){(s.Bidirectional ? ", bidirectional" : "")}, window {s.Window}{(s.LinearWindow > s.Window ? $" (linear part {s.LinearWindow})" : "")}, horizon {s.Horizon}, " +
                           $"reference {ForecasterModelOptions.ReferenceName(s.Reference)} (season {season}), " +
                           $"log transform {(log ? "on" : "off")}, seed {s.Seed}, device {s.Device}.");

        var mlContext = new MLContext(seed: s.Seed);
        // Device fallbacks and data notes arrive as warnings on the context's log; they are shown once each, after the progress display.
        var warnings = LibraryWarnings.Collect(mlContext);
        var data = mlContext.Data.LoadFromEnumerable(train.Select(v => new SeriesRow { Value = v }));
        var options = s.CreateOptions(nameof(SeriesRow.Value), log, cancellationToken);

        ForecasterTransformer model = null!;
        string? lastLine = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                // One bar for the whole ensemble: each member's training fills its share (early stopping jumps to the end of it);
                // the refit of each member shows in the description.
                var task = ctx.AddTask("training", maxValue: (double)s.Epochs * s.Members);
                options.Progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    string member = p.Members > 1 ? string.Create(CultureInfo.InvariantCulture, $"member {p.Member + 1}/{p.Members} ") : "";
                    if (p.Stage == TrainingStage.Refit)
                    {
                        task.Value = (double)(p.Member + 1) * s.Epochs;
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"{member}refit epoch {p.Epoch}/{p.MaxEpochs}: train {p.TrainLoss:F5}");
                        return;
                    }
                    task.Value = (double)p.Member * s.Epochs + p.Epoch;
                    lastLine = p.ValidationLoss is { } v
                        ? string.Create(CultureInfo.InvariantCulture, $"{member}epoch {p.Epoch}: train {p.TrainLoss:F5} val {v:F5} (best {p.BestEpoch})")
                        : string.Create(CultureInfo.InvariantCulture, $"{member}epoch {p.Epoch}: train {p.TrainLoss:F5} (best {p.BestEpoch})");
                    task.Description = lastLine;
                });
                model = mlContext.Rnn().Forecaster(options).Fit(data);
                task.Value = task.MaxValue;
            });
        using var _ = model;
        lock (warnings)
        {
            foreach (var warning in warnings)
                console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        var withInterval = model.IntervalCoverage is not null ? model.ForecastWithInterval(train) : null;
        float[] forecast = withInterval?.Forecast ?? model.Forecast(train);
        float[] naive = ForecastMetrics.SeasonalNaive(train, s.Horizon, season);
        var metrics = ForecastMetrics.Compute(forecast, actual, s.Horizon);
        var naiveMetrics = ForecastMetrics.Compute(naive, actual, s.Horizon);
        var history = model.History!;
        var backtest = s.Backtest > 0 ? RunBacktest(s, series.Values, log, console, cancellationToken) : null;

        string onnxPath = Path.Combine(dir, "model.onnx");
        string zipPath = Path.Combine(dir, "model.zip");
        string pngPath = Path.Combine(dir, "forecast.png");
        string summaryPath = Path.Combine(dir, "summary.json");
        if (!PlotFonts.HasFonts)
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(PlotFonts.NoFontsWarning("forecast.png"))}");
        // Every artifact is produced in memory first, then staged and swapped in as one set, so a failure leaves the previous run's files untouched.
        byte[] onnxBytes = model.GetOnnxModel();
        byte[] zipBytes;
        using (var zipStream = new MemoryStream())
        {
            // The saved chain takes windows, so its recorded input schema is the windows schema (not the series').
            mlContext.Model.Save(model, model.WindowsSchema, zipStream);
            zipBytes = zipStream.ToArray();
        }
        byte[] pngBytes = ForecastPlot.Render(series, holdoutStart, forecast, naive, withInterval,
            string.Create(CultureInfo.InvariantCulture, $"{s.Cell} forecast: MAPE {metrics.Mape:F2}% vs seasonal naive {naiveMetrics.Mape:F2}%"));

        var summary = new ForecastSummary
        {
            Data = series.Source,
            Column = series.Column,
            Cell = s.Cell.ToString(),
            Hidden = s.Hidden,
            Layers = s.Layers,
            Bidirectional = s.Bidirectional,
            Window = s.Window,
            LinearWindow = s.LinearWindow,
            Horizon = s.Horizon,
            LogTransform = log,
            Seed = s.Seed,
            Mape = metrics.Mape,
            Rmse = metrics.Rmse,
            Mae = metrics.Mae,
            SeasonalNaiveMape = naiveMetrics.Mape,
            SeasonalNaiveRmse = naiveMetrics.Rmse,
            Forecast = forecast,
            Actual = actual,
            HoldoutLabels = series.Labels[holdoutStart..],
            ParityMaxAbsDiff = model.Parity!.MaxAbsDiff,
            EpochsRun = history.EpochsRun,
            RefitEpochs = history.RefitTrainLoss.Count,
            BestEpoch = history.BestEpoch,
            ResumedEpochs = history.ResumedEpochs,
            TrainSeconds = Math.Round(history.Duration.TotalSeconds, 3),
            TrainLoss = history.TrainLoss.ToArray(),
            ValidationLoss = history.ValidationLoss.ToArray(),
            TrainingDevice = model.TrainingDevice ?? "cpu",
            Device = model.InferenceDevice.ToString(),
            RequestedDevice = s.Device.ToString(),
            Warnings = warnings.ToArray(),
            Files = new[] { onnxPath, zipPath, pngPath, summaryPath },
            Backtest = backtest,
            Season = season,
            SeasonSource = seasonSource,
            Members = s.Members,
            Reference = ForecasterModelOptions.ReferenceName(s.Reference),
            LinearShare = model.Options.LinearShare,
            IntervalCoverage = withInterval?.Coverage,
            Lower = withInterval?.Lower,
            Upper = withInterval?.Upper,
            HoldoutCoverage = withInterval is null ? null : ForecastMetrics.IntervalCoverage(withInterval.Lower, withInterval.Upper, actual),
            ScaledPinballLoss = withInterval is null ? null
                : ForecastMetrics.ScaledPinballLoss(withInterval.Lower, withInterval.Forecast, withInterval.Upper, actual, withInterval.Coverage, train, season),
            Mase = ForecastMetrics.MeanAbsoluteScaledError(forecast, actual, train, season),
            SeasonalNaiveMase = ForecastMetrics.MeanAbsoluteScaledError(naive, actual, train, season),
        };
        string summaryJson = JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true });
        output.Add("model.onnx", onnxBytes);
        output.Add("model.zip", zipBytes);
        output.Add("forecast.png", pngBytes);
        output.AddText("summary.json", summaryJson);
        output.Commit();

        var table = new Table().AddColumn("hold-out").AddColumn(new TableColumn("MAPE %").RightAligned()).AddColumn(new TableColumn("RMSE").RightAligned());
        string trained = history.RefitTrainLoss.Count > 0
            ? $"{history.EpochsRun} epochs, best {history.BestEpoch}, refit {history.RefitTrainLoss.Count}"
            : $"{history.EpochsRun} epochs, best {history.BestEpoch}";
        table.AddRow($"{s.Cell} ({trained})", metrics.Mape.ToString("F2", CultureInfo.InvariantCulture), metrics.Rmse.ToString("F2", CultureInfo.InvariantCulture));
        table.AddRow($"seasonal naive (season {season}, {seasonSource})", naiveMetrics.Mape.ToString("F2", CultureInfo.InvariantCulture), naiveMetrics.Rmse.ToString("F2", CultureInfo.InvariantCulture));
        console.Write(table);
        if (withInterval is not null)
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{withInterval.Coverage:P0} prediction interval: {summary.HoldoutCoverage:P0} of the hold-out inside; scaled pinball loss {summary.ScaledPinballLoss:F3}; MASE {summary.Mase:F3} (seasonal naive {summary.SeasonalNaiveMase:F3})."));
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"ONNX parity (ONNX Runtime vs TorchSharp): max abs diff {model.Parity.MaxAbsDiff:G3}; inference device: {model.InferenceDevice}; training took {history.Duration.TotalSeconds:F1} s."));
        if (s.Checkpoint.Describe(history?.ResumedEpochs ?? 0) is { } checkpointLine)
            console.MarkupLine(Markup.Escape(checkpointLine));
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: model.onnx, model.zip, forecast.png, summary.json");
        return summary;
    }


    /// <summary>Rolling-origin folds over the whole series, the last fold's origin at the hold-out; each fold trains on its past only.</summary>
    private static BacktestSummary RunBacktest(ForecastSettings s, float[] values, bool log, IAnsiConsole console, CancellationToken cancellationToken)
    {
        int step = s.BacktestStep ?? s.Horizon;
        console.MarkupLine($"Backtest: {s.Backtest} fold(s), origins {step} apart, the last at the hold-out; each fold trains a new model on the values before its origin.");
        var mlContext = new MLContext(seed: s.Seed);
        var options = (s with { Checkpoint = CheckpointSettings.None }).CreateOptions(nameof(SeriesRow.Value), log, cancellationToken);
        var data = mlContext.Data.LoadFromEnumerable(values.Select(v => new SeriesRow { Value = v }));
        var result = mlContext.Rnn().Forecaster(options).Backtest(data, s.Backtest, step, s.Season ?? 12);
        var table = new Table().AddColumn("fold").AddColumn(new TableColumn("trained on").RightAligned()).AddColumn(new TableColumn("MASE").RightAligned())
            .AddColumn(new TableColumn("sMAPE %").RightAligned());
        foreach (var fold in result.Folds)
            table.AddRow((fold.Index + 1).ToString(CultureInfo.InvariantCulture), fold.TrainingLength.ToString(CultureInfo.InvariantCulture),
                fold.Mase.ToString("F3", CultureInfo.InvariantCulture), fold.Metrics.Smape.ToString("F2", CultureInfo.InvariantCulture));
        table.AddRow("mean", "", result.MeanMase.ToString("F3", CultureInfo.InvariantCulture), result.MeanSmape.ToString("F2", CultureInfo.InvariantCulture));
        console.Write(table);
        return new BacktestSummary
        {
            Step = step,
            Season = s.Season ?? 12,
            MeanMase = result.MeanMase,
            MeanSmape = result.MeanSmape,
            MeanMape = result.MeanMape,
            MeanRmse = result.MeanRmse,
            Folds = result.Folds.Select(f => new BacktestFoldSummary
            {
                TrainLength = f.TrainingLength, Forecast = f.Forecast, Actual = f.Actual, Mase = f.Mase, Smape = f.Metrics.Smape, Mape = f.Metrics.Mape, Rmse = f.Metrics.Rmse,
            }).ToArray(),
        };
    }
}
