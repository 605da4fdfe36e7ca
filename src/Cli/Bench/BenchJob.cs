using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Spectre.Console;

namespace MlNetRnn.Cli.Bench;

/// <summary>
/// <c>mlnet-rnn bench</c>: a compact benchmark run in one process, every figure a ratio against a baseline measured
/// alongside it (medians of repeated runs after a warm-up). BenchmarkDotNet suites for deeper runs belong in bench/.
/// </summary>
internal static class BenchJob
{
    private sealed class SeriesRow
    {
        public float Value { get; set; }
    }

    private const int Window = 12;
    private const int Hidden = 16;

    private const int CharHidden = 256, CharLayers = 2, CharEmbedding = 64, CharSequence = 100, CharBatch = 64;

    public static BenchSummary Run(string outputDirectory, int windows, int memoryWindows, int epochs, int repeats, IAnsiConsole console, int charTokens = 128_001,
        int textRows = 512, int lmRows = 256)
    {
        string dir = Path.GetFullPath(outputDirectory);
        // One file only, but through the same set as the other commands: the folder is checked, locked and tidied the same way.
        using var output = OutputSet.Open(dir, new[] { "summary.json" }, ModelSizeEstimate.ReportBytes);
        var series = SeriesCsv.AirPassengers("value").Values;
        var notes = new List<string>
        {
            "train_ratio_textclf compares rows/s of the classifier's training loop (History.Duration) with a raw TorchSharp loop of the same GRU, packed batches of the same shape; the batch order differs, so losses are not compared.",
            "train_ratio_charlm compares the training loop's own tokens/s (forward, backward, step; no validation, export or parity check) on one pass over the first part of tiny Shakespeare.",
            "The LSTM-256 language-model scoring rows use random weights (speed does not depend on them).",
        };

        console.MarkupLine($"[bold]mlnet-rnn bench[/]: GRU-{Hidden} forecaster, window {Window}; {Environment.ProcessorCount} cores; repeats {repeats} (medians).");

        // 1. Training: estimator Fit vs the raw TorchSharp loop, same network, data, batches and seed.
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(series.Select(v => new SeriesRow { Value = v }));
        var options = new ForecasterOptions
        {
            SeriesColumnName = nameof(SeriesRow.Value), Cell = RecurrentCellKind.Gru, HiddenSize = Hidden, Window = Window, Horizon = 1,
            Epochs = epochs, BatchSize = 16, LearningRate = 0.005, Patience = 0, ValidationFraction = 0, RefitOnAllWindows = false,
            LogTransform = true, Seed = 1,
            // What the raw TorchSharp loop computes: squared error on targets relative to the window's mean.
            Loss = ForecastLoss.SquaredError, Reference = ForecastReference.WindowLevel,
        };
        double oursLoss = 0, rawLoss = 0;
        double FitOnce()
        {
            var sw = Stopwatch.StartNew();
            using var model = ml.Rnn().Forecaster(options).Fit(data);
            double seconds = sw.Elapsed.TotalSeconds;
            oursLoss = model.History!.TrainLoss[^1];
            return seconds;
        }
        double RawOnce()
        {
            var sw = Stopwatch.StartNew();
            rawLoss = RawTorchForecasterLoop.Train(series, Window, Hidden, epochs, 16, 0.005, 1);
            return sw.Elapsed.TotalSeconds;
        }
        FitOnce();
        RawOnce();
        var fitTimes = new List<double>();
        var rawTimes = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            rawTimes.Add(RawOnce());
            fitTimes.Add(FitOnce());
        }
        double trainRatio = Median(rawTimes) / Median(fitTimes);
        var ranges = new Dictionary<string, double[]>
        {
            ["train_ratio_forecaster"] = Range(rawTimes.Zip(fitTimes, (r, f) => r / f)),
        };

        // 1b. Character language model: the estimator's BPTT loop vs the raw loop, same network, ids, batches and seed.
        var (charRatio, charRatioRange, charOurs, charRaw, charLossDiff, lossesRatio, lossesRange) = CharModelTraining(charTokens, repeats, console);
        ranges["train_ratio_charlm"] = charRatioRange;
        ranges["lm_losses_batched_vs_per_text"] = lossesRange;

        // 1c. Text classifier: GRU-128 over 200-word texts, batch 64, the estimator's loop vs a raw loop.
        var text = TextClassifierTraining(textRows, repeats, console);
        var (textRatio, textOurs, textRaw) = (text.Ratio, text.Ours, text.Raw);
        ranges["train_ratio_textclf"] = text.Range;
        ranges["textclf_batched_vs_mlnet_rowpath"] = text.ScoringRange;
        ranges["textclf_reviews_batched_vs_mlnet_rowpath"] = text.ReviewScoringRange;
        var maskedVsPacked = MaskedVersusPacked(Math.Min(textRows, 256), repeats, console);
        ranges["textclf_padded_vs_packed"] = maskedVsPacked.LongRange;
        ranges["textclf_reviews_padded_vs_packed"] = maskedVsPacked.ReviewsRange;

        // 1d. Scoring a 2-layer LSTM-256 language model (sequence 100): batched scorer, raw session, ML.NET row path, TorchSharp eager.
        console.MarkupLine($"language-model scoring: LSTM 2x256, sequence 100, {lmRows} rows...");
        var lm = LanguageModelScoringBench.Run(lmRows, Math.Max(3, repeats));
        double matmul = MatmulGigaflops();

        // 2. Scoring: batched scorer vs raw ONNX Runtime vs ML.NET's row path, on many windows of a long series.
        using var trained = ml.Rnn().Forecaster(options).Fit(data);
        byte[] onnx = trained.GetOnnxModel();
        float[] longSeries = SyntheticSeries(windows + Window);
        var inputs = new float[windows * Window];
        for (int i = 0; i < windows; i++)
            longSeries.AsSpan(i, Window).CopyTo(inputs.AsSpan(i * Window, Window));
        var outputs = new float[windows];

        // The forecaster's own default batch (1,024 windows for its unrolled GRU graph): what a user's CreateBatchScorer() gets.
        int batchSize = trained.DefaultScoringBatchSize;
        var scoringOptions = new OnnxScoringOptions { BatchSize = batchSize };
        using var scorer = trained.CreateBatchScorer(scoringOptions);
        // The raw session runs on the scorer's intra-op threads (0 is ONNX Runtime's default), so the ratios measure the scorer's own
        // work, not a thread setting.
        using var rawSessionOptions = new SessionOptions { IntraOpNumThreads = scoringOptions.IntraOpThreads ?? 0 };
        using var session = new InferenceSession(onnx, rawSessionOptions);
        Action ourBatches = () => scorer.Score(inputs, outputs);
        using var rawRunOptions = new RunOptions();
        string[] rawInputNames = { scorer.InputName }, rawOutputNames = { scorer.OutputName };
        Action rawBatches = () =>
        {
            // The strongest plain baseline: zero-copy tensors over slices of the same arrays, one Run per batch.
            for (int start = 0; start < windows; start += batchSize)
            {
                int count = Math.Min(batchSize, windows - start);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs.AsMemory(start * Window, count * Window), new long[] { count, Window });
                using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, outputs.AsMemory(start, count), new long[] { count, 1 });
                session.Run(rawRunOptions, rawInputNames, new[] { input }, rawOutputNames, new[] { output });
            }
        };
        // A and B alternate within each repetition, so drift in machine speed cancels out of the ratio.
        var scoring = TimePair(ourBatches, rawBatches, repeats);
        double batched = Median(scoring.A), raw = Median(scoring.B);

        var windowsView = ml.Rnn().CreateWindows(ml.Data.LoadFromEnumerable(longSeries.Select(v => new SeriesRow { Value = v })), nameof(SeriesRow.Value), Window, 1);
        var rowPathTimes = TimePair(ourBatches, () => Drain(trained.Transform(windowsView), "Score"), Math.Max(3, repeats / 2));
        double batchedAgain = Median(rowPathTimes.A), rowPath = Median(rowPathTimes.B);

        var one = inputs.AsSpan(0, Window).ToArray();
        var oneOut = new float[1];
        const int latencyCalls = 2000;
        using var inputValue = OrtValue.CreateTensorValueFromMemory(one, new long[] { 1, Window });
        using var outputValue = OrtValue.CreateTensorValueFromMemory(oneOut, new long[] { 1, 1 });
        using var runOptions = new RunOptions();
        string[] inputNames = { scorer.InputName }, outputNames = { scorer.OutputName };
        OrtValue[] inputValues = { inputValue }, outputValues = { outputValue };
        var latency = TimePair(
            () => { for (int i = 0; i < latencyCalls; i++) scorer.Score(one, oneOut); },
            () => { for (int i = 0; i < latencyCalls; i++) session.Run(runOptions, inputNames, inputValues, outputNames, outputValues); },
            repeats);
        double ourLatency = Median(latency.A) / latencyCalls, rawLatency = Median(latency.B) / latencyCalls;

        // 2b. Batch size × ONNX Runtime intra-op threads for the same graph, then what a 5-member ensemble graph of it costs.
        var sweep = new Dictionary<string, double>();
        foreach (int batch in new[] { 256, 1024, 4096, 16384 })
        foreach (int? threads in new int?[] { 1, null })
        {
            using var swept = new OnnxBatchScorer(onnx, options: new OnnxScoringOptions { BatchSize = batch, IntraOpThreads = threads });
            var times = TimePair(() => swept.Score(inputs, outputs), () => { }, Math.Max(3, repeats / 2)).A;
            sweep[$"batch {batch}, intra-op threads {(threads is { } t ? t.ToString(CultureInfo.InvariantCulture) : "default")}"] = Math.Round(windows / Median(times));
        }
        var best = sweep.MaxBy(kv => kv.Value);
        var member = OnnxModelImporter.Import(onnx);
        const int members = 5;
        // Each member gets a copy of the network; the linear part is one per model, shared by the members.
        bool Linear(NamedTensor t) => t.Name is ForecastingModelDescription.LinearWeightName or ForecastingModelDescription.LinearBiasName;
        var ensembleWeights = new WeightSet(Enumerable.Range(0, members)
            .SelectMany(k => member.Weights.Tensors.Where(t => !Linear(t)).Select(t => new NamedTensor($"member{k}." + t.Name, t.Shape, t.Data)))
            .Concat(member.Weights.Tensors.Where(Linear)));
        var ensembleDescription = member.Forecasting! with { Members = members, SeasonalNaiveMembers = member.Forecasting.SeasonalMemberCount * members };
        byte[] ensembleOnnx = ForecastingOnnxExporter.Export(ensembleDescription, ensembleWeights);
        int bestBatch = int.Parse(best.Key.Split(',')[0]["batch ".Length..], CultureInfo.InvariantCulture);
        using (var single = new OnnxBatchScorer(onnx, options: new OnnxScoringOptions { BatchSize = bestBatch }))
        using (var ensemble = new OnnxBatchScorer(ensembleOnnx, options: new OnnxScoringOptions { BatchSize = bestBatch }))
        {
            var pair = TimePair(() => ensemble.Score(inputs, outputs), () => single.Score(inputs, outputs), Math.Max(3, repeats / 2));
            sweep[$"ensemble of {members} members / one member (time ratio)"] = Math.Round(Median(pair.A) / Median(pair.B), 3);
        }
        // The same weights with ONNX's recurrent node per layer instead of the unrolled stack the trainer exports for small GRUs.
        byte[] nodesOnnx = ForecastingOnnxExporter.Export(member.Forecasting! with { UnrolledSteps = false }, member.Weights, member.ExtraMetadata);
        using (var single = new OnnxBatchScorer(onnx, options: new OnnxScoringOptions { BatchSize = bestBatch }))
        using (var nodes = new OnnxBatchScorer(nodesOnnx, options: new OnnxScoringOptions { BatchSize = bestBatch }))
        {
            var pair = TimePair(() => nodes.Score(inputs, outputs), () => single.Score(inputs, outputs), Math.Max(3, repeats / 2));
            sweep["recurrent nodes / the exported graph (time ratio; > 1: the unrolled stack is faster)"] = Math.Round(Median(pair.A) / Median(pair.B), 3);
        }
        // What the default linear part (one Gemm and the blend) costs: the same graph without it.
        if (member.Forecasting!.LinearShare > 0)
        {
            byte[] withoutPart = ForecastingOnnxExporter.Export(member.Forecasting with { LinearShare = 0f }, member.Weights, member.ExtraMetadata);
            using var single = new OnnxBatchScorer(onnx, options: new OnnxScoringOptions { BatchSize = bestBatch });
            using var networksOnly = new OnnxBatchScorer(withoutPart, options: new OnnxScoringOptions { BatchSize = bestBatch });
            var pair = TimePair(() => single.Score(inputs, outputs), () => networksOnly.Score(inputs, outputs), Math.Max(3, repeats / 2));
            sweep["with the linear part / without it (time ratio)"] = Math.Round(Median(pair.A) / Median(pair.B), 3);
        }

        ranges["batched_vs_raw_ort"] = Range(scoring.B.Zip(scoring.A, (r, o) => r / o));
        ranges["batched_vs_mlnet_rowpath"] = Range(rowPathTimes.B.Zip(rowPathTimes.A, (r, o) => r / o));
        ranges["batch1_latency_vs_raw_ort"] = Range(latency.A.Zip(latency.B, (o, r) => o / r));

        // 3. Memory: peak working set while streaming windows through the lazy batched view.
        var (peakSmall, growthSmall) = PeakWorkingSetMb(() => Drain(scorer.Transform(WindowsOf(ml, 10_000), "Features", "Batched"), "Batched"));
        var (peakLarge, growthLarge) = PeakWorkingSetMb(() => Drain(scorer.Transform(WindowsOf(ml, memoryWindows), "Features", "Batched"), "Batched"));

        var summary = new BenchSummary
        {
            TrainRatioForecaster = Math.Round(trainRatio, 3),
            TrainLossAbsDiffForecaster = Math.Abs(oursLoss - rawLoss),
            TrainRatioCharLm = Math.Round(charRatio, 3),
            TrainLossAbsDiffCharLm = charLossDiff,
            CharLmTokensPerSecond = Math.Round(charOurs),
            LmLossesBatchedVsPerText = Math.Round(lossesRatio, 3),
            TrainRatioTextClassifier = Math.Round(textRatio, 3),
            TextClassifierBatchedVsMlNetRowPath = Math.Round(text.BatchedRowsPerSecond / text.RowPathRowsPerSecond, 3),
            TextClassifierRowsPerSecond = Math.Round(text.BatchedRowsPerSecond, 1),
            TextClassifierReviewsBatchedVsMlNetRowPath = Math.Round(text.ReviewBatchedRowsPerSecond / text.ReviewRowPathRowsPerSecond, 3),
            TextClassifierPaddedVsPacked = Math.Round(maskedVsPacked.Long, 3),
            TextClassifierReviewsPaddedVsPacked = Math.Round(maskedVsPacked.Reviews, 3),
            LmBatchedVsRawOrt = Math.Round(lm.BatchedRowsPerSecond / lm.RawRowsPerSecond, 3),
            LmBatchedVsMlNetRowPath = Math.Round(lm.BatchedRowsPerSecondBesideMlNet / lm.MlNetRowsPerSecond, 3),
            LmBatchedVsTorchEager = Math.Round(lm.BatchedRowsPerSecond / lm.TorchRowsPerSecond, 3),
            LmBatch1LatencyVsRawOrt = Math.Round(lm.BatchedBatch1Seconds / lm.RawBatch1Seconds, 3),
            LmRowsPerSecond = Math.Round(lm.BatchedRowsPerSecond, 1),
            LmGigaflops = Math.Round(lm.GigaflopsBatched, 2),
            MatmulGigaflops = Math.Round(matmul, 2),
            BatchedVsRawOrt = Math.Round(raw / batched, 3),
            BatchedVsMlNetRowPath = Math.Round(rowPath / batchedAgain, 3),
            Batch1LatencyVsRawOrt = Math.Round(ourLatency / rawLatency, 3),
            ForecastWindowsPerSecond = Math.Round(windows / batched),
            ForecastBatchSize = batchSize,
            ForecastScoringSweep = sweep,
            ForecastWindowsPerSecondBest = best.Value,
            ForecastBestSetting = best.Key,
            PeakMb10k = Math.Round(peakSmall, 1),
            PeakMb1m = Math.Round(peakLarge, 1),
            GrowthMb10k = Math.Round(growthSmall, 1),
            GrowthMb1m = Math.Round(growthLarge, 1),
            RatioRanges = ranges,
            WindowsScored = windows,
            MemoryWindowsLarge = memoryWindows,
            Machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}",
            Versions = $".NET {Environment.Version}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, torch threads {TorchSharp.torch.get_num_threads()}",
            Notes = notes.ToArray(),
        };

        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("baseline measured alongside");
        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        table.AddRow("train_ratio_forecaster", F(summary.TrainRatioForecaster), $"raw TorchSharp loop ({F(Median(rawTimes))} s vs Fit {F(Median(fitTimes))} s; final losses differ by {summary.TrainLossAbsDiffForecaster:G3})");
        table.AddRow("train_ratio_charlm", F(summary.TrainRatioCharLm ?? 0), $"raw TorchSharp BPTT loop, LSTM 2x{CharHidden}, seq {CharSequence}, batch {CharBatch} ({charOurs:F0} vs {charRaw:F0} tokens/s; losses differ by {charLossDiff:G3})");
        table.AddRow("lm_losses_batched_vs_per_text", F(summary.LmLossesBatchedVsPerText ?? 0), "the language model's Loss called per text (the stateful graph, one run of batch 1 per text), 256 texts of 100 characters");
        table.AddRow("train_ratio_textclf", F(summary.TrainRatioTextClassifier ?? 0), $"raw TorchSharp loop, GRU-128, 200 words, batch 64 ({textOurs:F0} vs {textRaw:F0} rows/s)");
        table.AddRow("textclf_batched_vs_mlnet_rowpath", F(summary.TextClassifierBatchedVsMlNetRowPath ?? 0), $"the classifier's Transform, one text per run ({text.BatchedRowsPerSecond:F0} vs {text.RowPathRowsPerSecond:F0} texts/s, 200 words, tokenising included)");
        table.AddRow("textclf_padded_vs_packed", F(summary.TextClassifierPaddedVsPacked ?? 0), "the classifier's training loop, masked padding vs packed sequences, 2-layer bidirectional LSTM-64, 200-word texts");
        table.AddRow("textclf_reviews_padded_vs_packed", F(summary.TextClassifierReviewsPaddedVsPacked ?? 0), "the same on the 2,000 review sentences");
        table.AddRow("textclf_reviews_batched_vs_mlnet_rowpath", F(summary.TextClassifierReviewsBatchedVsMlNetRowPath ?? 0), $"the same on the embedded review sentences, default classifier ({text.ReviewBatchedRowsPerSecond:F0} vs {text.ReviewRowPathRowsPerSecond:F0} texts/s)");
        table.AddRow("lm_batched_vs_raw_ort", F(summary.LmBatchedVsRawOrt), $"LSTM 2x256 seq 100, {lmRows} rows: raw session in one Run ({lm.RawRowsPerSecond:F0} rows/s)");
        table.AddRow("lm_batched_vs_mlnet_rowpath", F(summary.LmBatchedVsMlNetRowPath), $"ML.NET ApplyOnnxModel, one row per run ({lm.MlNetRowsPerSecond:F0} rows/s)");
        table.AddRow("lm_batched_vs_torch_eager", F(summary.LmBatchedVsTorchEager), $"TorchSharp no_grad forward ({lm.TorchRowsPerSecond:F0} rows/s)");
        table.AddRow("lm_batch1_latency_vs_raw_ort", F(summary.LmBatch1LatencyVsRawOrt), $"raw Run, prebuilt tensors ({lm.BatchedBatch1Seconds * 1e3:F2} vs {lm.RawBatch1Seconds * 1e3:F2} ms)");
        table.AddRow("lm GFLOP/s vs matmul", $"{F(summary.LmGigaflops)} / {F(summary.MatmulGigaflops)}", "useful LSTM+head work per second while batch scoring ÷ a 1024² float32 matmul in TorchSharp");
        table.AddRow("batched_vs_raw_ort", F(summary.BatchedVsRawOrt), $"raw session, zero-copy tensors, batches of {summary.ForecastBatchSize}, {windows:N0} windows");
        table.AddRow("batched_vs_mlnet_rowpath", F(summary.BatchedVsMlNetRowPath), "ML.NET OnnxTransformer, one row per run");
        table.AddRow("batch1_latency_vs_raw_ort", F(summary.Batch1LatencyVsRawOrt), $"raw session with prebuilt tensors ({ourLatency * 1e6:F1} vs {rawLatency * 1e6:F1} µs)");
        table.AddRow("forecast_windows_per_second", summary.ForecastWindowsPerSecond.ToString("N0", CultureInfo.InvariantCulture), $"the forecaster's default scorer: batches of {summary.ForecastBatchSize}, one intra-op thread");
        foreach (var (setting, value) in sweep)
            table.AddRow($"  {Markup.Escape(setting)}", value.ToString(value < 100 ? "0.###" : "N0", CultureInfo.InvariantCulture), "");
        table.AddRow("peak_mb_10k / peak_mb_1m", $"{F(summary.PeakMb10k)} / {F(summary.PeakMb1m)}", $"peak working set streaming 10,000 vs {memoryWindows:N0} windows (growth during the run {F(summary.GrowthMb10k)} / {F(summary.GrowthMb1m)} MB)");
        console.Write(table);

        string path = Path.Combine(dir, "summary.json");
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();
        console.MarkupLine($"Wrote [green]{Markup.Escape(path)}[/]");
        return summary;
    }

    /// <summary>Training throughput of the language-model estimator's loop ÷ the raw loop, alternating runs; medians and range.</summary>
    private static (double Ratio, double[] Range, double Ours, double Raw, double LossDiff, double LossesRatio, double[] LossesRange) CharModelTraining(int tokens, int repeats, IAnsiConsole console)
    {
        string corpus = Generate.EmbeddedCorpus.TinyShakespeare()[..tokens];
        var vocabulary = Transforms.Text.Vocabulary.Build(Transforms.Text.TextUnits.Split(corpus, Transforms.Text.TextUnit.Character));
        long[] ids = vocabulary.Encode(Transforms.Text.TextUnits.Split(corpus, Transforms.Text.TextUnit.Character));
        var options = new LanguageModelOptions
        {
            HiddenSize = CharHidden, NumberOfLayers = CharLayers, EmbeddingSize = CharEmbedding, SequenceLength = CharSequence, BatchSize = CharBatch,
            Epochs = 1, ValidationFraction = 0, Patience = 0, Seed = 1,
        };
        var ml = new MLContext(1);
        double ourLoss = 0, rawLoss = 0;
        double Ours()
        {
            using var model = ml.Rnn().LanguageModel(options).Fit(corpus);
            ourLoss = model.History!.TrainLoss[0];
            return model.TrainTokensPerSecond!.Value;
        }
        double Raw()
        {
            var (rate, loss) = RawTorchCharLoop.Train(ids, vocabulary.Count, CharEmbedding, CharHidden, CharLayers, CharBatch, CharSequence,
                options.LearningRate, options.GradientClipNorm, 1);
            rawLoss = loss;
            return rate;
        }
        console.MarkupLine($"language model: {tokens:N0} characters per pass, LSTM {CharLayers}x{CharHidden}, alternating runs...");
        var (ours, raw) = AlternateRates(Ours, Raw, Math.Max(1, repeats / 2));

        // Scoring texts with the fitted model: Losses (batched, lengths graph) vs Loss per text (the stateful graph, one run of batch 1 per text).
        using var scoringModel = ml.Rnn().LanguageModel(options).Fit(corpus);
        var random = new Random(2);
        var texts = Enumerable.Range(0, 256).Select(_ => corpus.Substring(random.Next(0, corpus.Length - 100), 100)).ToArray();
        console.MarkupLine("language model: loss of 256 texts of 100 characters, Losses vs Loss per text...");
        var scoring = TimePair(() => scoringModel.Losses(texts), () => { foreach (var t in texts) scoringModel.Loss(t); }, Math.Max(3, repeats / 2));
        return (Median(ours) / Median(raw), Range(ours.Zip(raw, (o, w) => o / w)), Median(ours), Median(raw), Math.Abs(ourLoss - rawLoss),
            Median(scoring.B) / Median(scoring.A), Range(scoring.B.Zip(scoring.A, (r, o) => r / o)));
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
    }

    /// <summary>Rows/s of the text classifier's training loop ÷ the raw loop's, one pass over synthetic 200-word texts, alternating; medians and range.</summary>
    private static TextClassifierFigures TextClassifierTraining(int rows, int repeats, IAnsiConsole console)
    {
        const int words = 2000, length = 200, hidden = 128, embedding = 64, batch = 64;
        var random = new Random(1);
        string Word(int i) => "w" + i.ToString(CultureInfo.InvariantCulture);
        var texts = Enumerable.Range(0, rows).Select(_ => string.Join(' ', Enumerable.Range(0, length).Select(_ => Word(random.Next(words))))).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => random.Next(2) == 1).ToArray();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(texts.Select((t, i) => new TextRow { Text = t, Label = labels[i] }));
        var options = new TextClassifierOptions
        {
            Cell = RecurrentCellKind.Gru, HiddenSize = hidden, EmbeddingSize = embedding, NumberOfLayers = 1, Bidirectional = false, Dropout = 0,
            MaxLength = length, BatchSize = batch, Epochs = 1, ValidationFraction = 0, Patience = 0, MinimumFrequency = 1, Seed = 1,
        };
        // The raw loop gets ids of the same shape: <s> then 200 word ids, over a vocabulary of the same size.
        var ids = texts.Select(t => new[] { 2L }.Concat(t.Split(' ').Select(w => 3L + int.Parse(w[1..], CultureInfo.InvariantCulture))).ToArray()).ToArray();
        var y = labels.Select(l => l ? 1f : 0f).ToArray();
        double Ours()
        {
            using var model = ml.Rnn().TextClassifier(options).Fit(data);
            return rows / model.History!.Duration.TotalSeconds;
        }
        double Raw() => RawTorchClassifierLoop.Train(ids, y, words + 3, embedding, hidden, batch, options.LearningRate, 1);
        console.MarkupLine($"text classifier: {rows} texts of {length} words, GRU-{hidden}, batch {batch}, alternating runs...");
        // Every repetition here is short (a few seconds) and this VM's speed drifts by ±20% from one to the next, so it takes all the
        // repetitions, not half.
        var (ours, raw) = AlternateRates(Ours, Raw, repeats);

        // Scoring the same texts with the fitted classifier: TransformBatched vs Transform (ML.NET's OnnxTransformer, one text per run),
        // both including ML.NET's normalising and tokenising, both read to the Probability column.
        using var model = ml.Rnn().TextClassifier(options).Fit(data);
        console.MarkupLine($"text classifier scoring: {rows} texts, TransformBatched vs Transform...");
        var scoring = TimePair(() => DrainScalar(model.TransformBatched(data), "Probability"), () => DrainScalar(model.Transform(data), "Probability"), Math.Max(3, repeats / 2));
        double batched = rows / Median(scoring.A), rowPath = rows / Median(scoring.B);
        var scoringRange = Range(scoring.B.Zip(scoring.A, (r, o) => r / o));

        // And real short texts: the 2,000 embedded review sentences (about 13 words each) with the library's default classifier shape.
        var reviews = Classify.LabelledTexts.Reviews();
        var reviewData = ml.Data.LoadFromEnumerable(reviews.Texts.Select((t, i) => new TextRow { Text = t, Label = reviews.Labels[i] == "1" }));
        using var reviewModel = ml.Rnn().TextClassifier(new TextClassifierOptions { Epochs = 1, Seed = 1 }).Fit(reviewData);
        console.MarkupLine($"text classifier scoring: {reviews.Texts.Length} review sentences, default classifier, TransformBatched vs Transform...");
        var reviewScoring = TimePair(() => DrainScalar(reviewModel.TransformBatched(reviewData), "Probability"), () => DrainScalar(reviewModel.Transform(reviewData), "Probability"),
            Math.Max(3, repeats / 2));
        double reviewBatched = reviews.Texts.Length / Median(reviewScoring.A), reviewRowPath = reviews.Texts.Length / Median(reviewScoring.B);
        return new TextClassifierFigures(Median(ours) / Median(raw), Range(ours.Zip(raw, (o, w) => o / w)), Median(ours), Median(raw), batched, rowPath, scoringRange,
            reviewBatched, reviewRowPath, Range(reviewScoring.B.Zip(reviewScoring.A, (r, o) => r / o)));
    }

    /// <summary>
    /// Rows/s of the classifier's training loop with masked padding ÷ with packed sequences, a 2-layer bidirectional LSTM-64, one epoch,
    /// alternating runs: on the review sentences (about 13 words) and on 200-word texts. Medians and per-repetition ranges.
    /// </summary>
    private static (double Reviews, double[] ReviewsRange, double Long, double[] LongRange) MaskedVersusPacked(int rows, int repeats, IAnsiConsole console)
    {
        var ml = new MLContext(1);
        var reviews = Classify.LabelledTexts.Reviews();
        var reviewData = ml.Data.LoadFromEnumerable(reviews.Texts.Select((t, i) => new TextRow { Text = t, Label = reviews.Labels[i] == "1" }));
        var random = new Random(2);
        var longData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ => new TextRow
        {
            Text = string.Join(' ', Enumerable.Range(0, 200).Select(_ => "w" + random.Next(2000).ToString(CultureInfo.InvariantCulture))),
            Label = random.Next(2) == 1,
        }));
        (double, double[]) Ratio(IDataView data, int count, int maxLength)
        {
            double Rate(bool masked)
            {
                var options = new TextClassifierOptions
                {
                    Cell = RecurrentCellKind.Lstm, HiddenSize = 64, EmbeddingSize = 64, NumberOfLayers = 2, Bidirectional = true, MaxLength = maxLength,
                    Epochs = 1, ValidationFraction = 0, Patience = 0, MinimumFrequency = 1, Seed = 1, MaskedPadding = masked,
                };
                using var model = ml.Rnn().TextClassifier(options).Fit(data);
                return count / model.History!.Duration.TotalSeconds;
            }
            var (masked, packed) = AlternateRates(() => Rate(true), () => Rate(false), repeats);
            return (Median(masked) / Median(packed), Range(masked.Zip(packed, (m, p) => m / p)));
        }
        console.MarkupLine($"text classifier training: masked padding vs packed sequences, 2-layer bidirectional LSTM-64, {reviews.Texts.Length} review sentences and {rows} texts of 200 words...");
        var (reviewRatio, reviewRange) = Ratio(reviewData, reviews.Texts.Length, 100);
        var (longRatio, longRange) = Ratio(longData, rows, 200);
        return (reviewRatio, reviewRange, longRatio, longRange);
    }

    private sealed record TextClassifierFigures(double Ratio, double[] Range, double Ours, double Raw, double BatchedRowsPerSecond, double RowPathRowsPerSecond,
        double[] ScoringRange, double ReviewBatchedRowsPerSecond, double ReviewRowPathRowsPerSecond, double[] ReviewScoringRange);

    private static void DrainScalar(IDataView view, string column)
    {
        using var cursor = view.GetRowCursor(new[] { view.Schema[column] });
        var getter = cursor.GetGetter<float>(view.Schema[column]);
        float value = 0;
        while (cursor.MoveNext())
            getter(ref value);
    }

    /// <summary>Float32 matrix-multiply rate of this machine through TorchSharp (1024 × 1024), the yardstick for achieved GFLOP/s.</summary>
    private static double MatmulGigaflops()
    {
        lock (TorchGate.Lock)
        {
            using var a = TorchSharp.torch.randn(1024, 1024);
            using var b = TorchSharp.torch.randn(1024, 1024);
            for (int i = 0; i < 3; i++)
                TorchSharp.torch.mm(a, b).Dispose();
            var sw = Stopwatch.StartNew();
            const int n = 20;
            for (int i = 0; i < n; i++)
                TorchSharp.torch.mm(a, b).Dispose();
            return 2.0 * 1024 * 1024 * 1024 * n / sw.Elapsed.TotalSeconds / 1e9;
        }
    }

    private static IDataView WindowsOf(MLContext ml, int count) =>
        ml.Rnn().CreateWindows(ml.Data.LoadFromEnumerable(SyntheticSeries(count + Window).Select(v => new SeriesRow { Value = v })), nameof(SeriesRow.Value), Window, 1);

    /// <summary>A positive seasonal series with noise, so log-transform models accept it.</summary>
    private static float[] SyntheticSeries(int length)
    {
        var random = new Random(1);
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = 300f + 100f * MathF.Sin(i * MathF.PI / 6) + (float)random.NextDouble() * 20f;
        return values;
    }

    /// <summary>Reads every value of a vector column through one reused buffer.</summary>
    private static void Drain(IDataView view, string column)
    {
        using var cursor = view.GetRowCursor(new[] { view.Schema[column] });
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema[column]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
            getter(ref buffer);
    }

    /// <summary>Runs two throughput measurements alternately (after one warm-up each, raw first in each round); returns every round's rates.</summary>
    private static (List<double> Ours, List<double> Raw) AlternateRates(Func<double> ours, Func<double> raw, int rounds)
    {
        ours();
        raw();
        var a = new List<double>();
        var b = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            b.Add(raw());
            a.Add(ours());
        }
        return (a, b);
    }

    /// <summary>Times two actions alternately (after one warm-up each); returns every repetition's seconds.</summary>
    private static (List<double> A, List<double> B) TimePair(Action a, Action b, int repeats)
    {
        a();
        b();
        var ta = new List<double>();
        var tb = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            a();
            ta.Add(sw.Elapsed.TotalSeconds);
            sw.Restart();
            b();
            tb.Add(sw.Elapsed.TotalSeconds);
        }
        return (ta, tb);
    }

    private static double[] Range(IEnumerable<double> ratios)
    {
        var list = ratios.ToList();
        return new[] { Math.Round(list.Min(), 3), Math.Round(list.Max(), 3) };
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Peak working set during <paramref name="action"/>, and its growth over the working set just before it (MB).</summary>
    private static (double Peak, double Growth) PeakWorkingSetMb(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.WorkingSet64;
        long peak = before;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            while (!done.IsSet)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                done.Wait(5);
            }
        }) { IsBackground = true };
        sampler.Start();
        action();
        done.Set();
        sampler.Join();
        process.Refresh();
        peak = Math.Max(peak, process.WorkingSet64);
        const double mb = 1024.0 * 1024.0;
        return (peak / mb, (peak - before) / mb);
    }
}
