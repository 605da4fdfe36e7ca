using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetRnn.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Trains an LSTM, GRU or RNN forecaster with TorchSharp, exports it to ONNX, checks the export against
/// TorchSharp, and returns a <see cref="ForecasterTransformer"/> that scores through ONNX Runtime.
/// Create it with <c>mlContext.Rnn().Forecaster(...)</c>.
/// </summary>
/// <remarks>
/// <para>Input and output columns:</para>
/// <list type="table">
/// <listheader><term>Column</term><description>Type and meaning</description></listheader>
/// <item><term><see cref="ForecasterOptions.SeriesColumnName"/></term><description>Single, one row per time step, in time order (series mode).</description></item>
/// <item><term><see cref="ForecasterOptions.FeatureColumnName"/></term><description>Vector&lt;Single, Window&gt;: the input window (windows mode, or produced from the series).</description></item>
/// <item><term><see cref="ForecasterOptions.LabelColumnName"/></term><description>Vector&lt;Single, Horizon&gt;: the values that follow the window.</description></item>
/// <item><term><see cref="ForecasterOptions.ScoreColumnName"/></term><description>Output, Vector&lt;Single, Horizon&gt;: forecasts in original units.</description></item>
/// </list>
/// <para>Trainer characteristics: task forecasting (direct multi-horizon regression); normalisation is built in (and embedded in the ONNX graph);
/// NuGet needed besides Microsoft.ML: MlNetRnn.Trainers plus a libtorch package for training (TorchSharp-cpu) and an ONNX Runtime package
/// for scoring (Microsoft.ML.OnnxRuntime); exportable to ONNX: always (the model is ONNX).</para>
/// <para>Training holds a process-wide lock around libtorch's global random generator, so concurrent fits in one process run one after another
/// and stay reproducible.</para>
/// </remarks>
public sealed class ForecasterTrainer : IEstimator<ForecasterTransformer>
{
    private readonly MLContext _mlContext;
    private readonly ForecasterOptions _options;

    internal ForecasterTrainer(MLContext mlContext, ForecasterOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
    }

    /// <summary>A copy of the options this trainer was created with.</summary>
    public ForecasterOptions Options => _options.Clone();

    /// <summary>Trains on <paramref name="input"/> and returns the fitted, ONNX-backed forecaster.</summary>
    /// <exception cref="ArgumentException">A column is missing or mistyped, a value is not finite, or the series is too short.</exception>
    /// <exception cref="InvalidOperationException">CUDA was required and is absent, training diverged, or the ONNX parity check failed.</exception>
    /// <exception cref="OperationCanceledException">The options' cancellation token was cancelled.</exception>
    public ForecasterTransformer Fit(IDataView input) => FitCore(input, null);

    /// <summary>
    /// Continues training a forecaster read back from its <c>.onnx</c> file (<see cref="OnnxModelImporter"/>): training starts from the
    /// imported weights and keeps the imported scaler, so the new data are seen in the units the network learned.
    /// </summary>
    /// <param name="input">Training data, in the same form as for <see cref="Fit(IDataView)"/>.</param>
    /// <param name="initialModel">An imported forecaster whose cell, sizes, window, horizon, window-relative setting and log transform match this trainer's options.</param>
    /// <exception cref="ArgumentException">The imported model is not a forecaster or does not match the options (the message lists every difference).</exception>
    public ForecasterTransformer Fit(IDataView input, ImportedRecurrentModel initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        WarmStart.Check(_options, initialModel);
        return FitCore(input, initialModel);
    }

    /// <summary>
    /// Rolling-origin evaluation: for each of <paramref name="folds"/> origins, <paramref name="step"/> values apart and ending
    /// <see cref="ForecasterOptions.Horizon"/> values before the end of the series, trains a new forecaster with these options on
    /// the series before the origin only, forecasts the horizon that follows, and scores it. Every choice the fit makes (scaler,
    /// validation split, early stopping) is made on the fold's training part; no fold sees its targets.
    /// </summary>
    /// <param name="input">The series, one row per time step (<see cref="ForecasterOptions.SeriesColumnName"/> must be set).</param>
    /// <param name="folds">Origins, 1 to 1000.</param>
    /// <param name="step">Values between consecutive origins (≥ 1); the horizon is the usual choice.</param>
    /// <param name="season">Season of the MASE scale (1 for none).</param>
    /// <exception cref="ArgumentException">The options give windows instead of a series, or the oldest fold's training part is too short (the message names the fold and the lengths).</exception>
    public BacktestResult Backtest(IDataView input, int folds, int step, int season = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_options.SeriesColumnName is null)
            throw new ArgumentException("Backtest needs a series: set ForecasterOptions.SeriesColumnName (ready-made windows cannot be split by time).");
        if (folds < 1 || folds > 1000)
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"folds must be between 1 and 1000; got {folds}.");
        if (step < 1)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be at least 1; got {step}.");
        if (season < 1)
            throw new ArgumentOutOfRangeException(nameof(season), season, $"season must be at least 1; got {season}.");
        float[] series = SeriesColumnReader.Read(input, _options.SeriesColumnName);
        int horizon = _options.Horizon;
        int firstOrigin = series.Length - horizon - (folds - 1) * step;
        int needed = _options.Window + horizon;
        if (firstOrigin < Math.Max(needed, season + 1))
            throw new ArgumentException(
                $"The series has {series.Length} values; with {folds} fold(s) {step} apart and horizon {horizon}, the oldest fold would train on " +
                $"{Math.Max(firstOrigin, 0)}, but a fold needs at least window + horizon = {needed} (and more than the season, {season}). Use fewer folds, a smaller step or a longer series.");
        var result = new List<BacktestFold>();
        for (int k = 0; k < folds; k++)
        {
            int origin = firstOrigin + k * step;
            float[] training = series[..origin];
            float[] actual = series[origin..(origin + horizon)];
            var data = SeriesWindowing.SeriesView(_mlContext, training, _options.SeriesColumnName);
            using var model = FitCore(data, null);
            float[] forecast = model.Forecast(training);
            result.Add(new BacktestFold(k, origin, forecast, actual, ForecastMetrics.Compute(forecast, actual, horizon),
                ForecastMetrics.MeanAbsoluteScaledError(forecast, actual, training, season)));
        }
        return new BacktestResult(result, season);
    }

    private ForecasterTransformer FitCore(IDataView input, ImportedRecurrentModel? initialModel)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        using var session = FitSession.Start(_mlContext, "MlNetRnn.Forecaster", o);

        // 1. Data: windows in original units, plus the name used in messages. The networks read windows of their own length
        // (rawInputs, every one the series has); the linear part reads the whole window (partInputs), so it has `partOffset` fewer
        // rows, aligned with the networks' last ones (same targets).
        int nw = o.NetworkWindowOrWindow;
        float[] rawInputs, rawTargets, partInputs;
        int count, partOffset;
        string source;
        ForecastSplit split;
        float[] scalerValues;
        if (o.SeriesColumnName is not null)
        {
            source = $"series column '{o.SeriesColumnName}'";
            float[] series = SeriesColumnReader.Read(input, o.SeriesColumnName);
            // Sizes are checked (and named) on the whole series first, then its values.
            SlidingWindows.ValidateSizes(o.Window, o.Horizon);
            if (series.Length < o.Window + o.Horizon)
                SlidingWindows.Build(series, o.Window, o.Horizon, source);
            if (o.LogTransform)
                PositiveValues.Require(series, source);
            // A long series trains on its most recent windows only: the cost stays bounded and the recent past matters most.
            // Counted in whole windows, so the linear part (the longest reader) keeps MaxTrainingWindows of them too.
            int skipped = o.MaxTrainingWindows > 0 ? Math.Max(0, series.Length - o.Window - o.Horizon + 1 - o.MaxTrainingWindows) : 0;
            if (skipped > 0)
            {
                session.Info($"The {source} has {series.Length} values; training on the most recent {o.MaxTrainingWindows} windows (MaxTrainingWindows), the oldest {skipped} values unused.");
                series = series[skipped..];
            }
            (rawInputs, rawTargets, count) = SlidingWindows.Build(series, nw, o.Horizon, source);
            partInputs = nw == o.Window ? rawInputs : SlidingWindows.Build(series, o.Window, o.Horizon, source).Inputs;
            partOffset = o.Window - nw;
            split = ForecastSplit.Compute(count, o.ValidationFraction, o.Horizon);
            // The scaler sees only values covered by training windows and their targets: no peeking at validation.
            scalerValues = series.AsSpan(0, split.Train - 1 + nw + o.Horizon).ToArray();
        }
        else
        {
            source = $"windows in column '{o.FeatureColumnName}'";
            var all = DenseBatchReader.ReadAll(input, o.FeatureColumnName, o.Window, o.LabelColumnName, o.Horizon);
            if (all.Rows == 0)
                throw new ArgumentException($"The training data has no rows in columns '{o.FeatureColumnName}' and '{o.LabelColumnName}'.");
            (partInputs, rawTargets, count, partOffset) = (all.Features, all.Labels!, all.Rows, 0);
            rawInputs = nw == o.Window ? partInputs : RecentValues(partInputs, o.Window, nw);
            if (o.LogTransform)
            {
                PositiveValues.Require(partInputs, $"column '{o.FeatureColumnName}'");
                PositiveValues.Require(rawTargets, $"column '{o.LabelColumnName}'");
            }
            split = ForecastSplit.Compute(count, o.ValidationFraction, o.Horizon);
            scalerValues = rawInputs.AsSpan(0, split.Train * nw).ToArray().Concat(rawTargets.AsSpan(0, split.Train * o.Horizon).ToArray()).ToArray();
        }

        int trainRows = split.Train;
        int validationRows = split.Validation;
        var scaler = initialModel?.Forecasting?.Scaler ?? SeriesScaler.Fit(scalerValues, o.Scaling, o.LogTransform, source);
        // Network inputs are the same for every member; targets differ by the member's reference (seasonal naive or window level).
        var seasonalPrep = ForecastPreprocessing.For(o, scaler, member: 0);
        var levelPrep = ForecastPreprocessing.For(o, scaler, member: o.EnsembleSize);
        int seasonalMembers = o.SeasonalMembers;
        var inputs = levelPrep.ScaleInputs(rawInputs).Inputs;
        float[] absoluteTargets = new float[rawTargets.Length];
        scaler.Transform(rawTargets, absoluteTargets);
        float[] seasonalReferences = seasonalPrep.ScaleInputs(rawInputs).References;
        float[] levelReferences = levelPrep.ScaleInputs(rawInputs).References;
        if (o.ValidationFraction > 0 && validationRows == 0)
            session.Warning(
                $"{count} windows from the {source} are too few for a validation split with horizon {o.Horizon}: training on all of them without early stopping " +
                "(the epoch with the lowest training loss is kept). Provide a longer series for early stopping.");
        string referenceNote = seasonalMembers == 0 ? "."
            : seasonalMembers == o.EnsembleSize ? $"; the network(s) correct the seasonal-naive forecast (season {o.Season})."
            : $"; {seasonalMembers} of {o.EnsembleSize} networks correct the seasonal-naive forecast (season {o.Season}), the others forecast the level.";
        session.Info(
            $"{count} windows from the {source}: {trainRows} for training, {split.Gap} left out so no validation target is a training target, " +
            $"{validationRows} (the most recent) for validation; scaler {scaler}{referenceNote}");

        var architecture = new RecurrentArchitecture(o.Cell, 1, o.HiddenSize, o.NumberOfLayers, o.Bidirectional);
        var settings = new TrainingSettings(o.Epochs, o.BatchSize, o.LearningRate, o.GradientClipNorm, o.Patience, o.Shuffle, session.Seed)
        {
            Schedule = o.CreateSchedule,
        };

        // Held batch for the parity check: the most recent windows (the validation ones when there is a split), at most 64 rows; the
        // graph reads them whole, the networks their recent values.
        int partCount = count - partOffset;
        int heldRows = Math.Min(Math.Min(64, validationRows > 0 ? validationRows : trainRows), partCount);
        int heldStart = count - heldRows;
        float[] heldRaw = partInputs.AsSpan((partCount - heldRows) * o.Window, heldRows * o.Window).ToArray();
        var checkpoints = session.Checkpoints(FitSession.DataDigest(inputs, absoluteTargets));
        int h = o.Horizon;
        float[] trainInputs = inputs[..(trainRows * nw)];
        float[] validationInputs = inputs[(split.ValidationStart * nw)..];
        float[] heldInputs = inputs[(heldStart * nw)..];
        float[] validationAbsolute = absoluteTargets[(split.ValidationStart * h)..];

        var linear = FitLinearPart(o, scaler, partInputs, absoluteTargets.AsSpan(partOffset * h).ToArray(), split, partOffset, session);

        var (history, weights, heldMean, networkForecasts, networkWeight) = session.Train(device =>
        {
            TrainingHistory? first = null;
            var duration = TimeSpan.Zero;
            var memberWeights = new List<NamedTensor>();
            // The members' scaled-space outputs and own references are summed apart: the graph computes mean(references) +
            // NetworkWeight · mean(outputs), and the weight is chosen on the validation windows once every member is trained.
            var held = new ForecastSums(heldRows * h);
            // Out-of-sample residuals for the interval: the early-stopped members (trained without the validation windows) on them.
            var validation = new ForecastSums(validationRows * h);
            // Without validation windows the interval can only come from the training windows (in-sample, so too narrow).
            var training = new ForecastSums(validationRows == 0 && o.IntervalCoverage > 0 ? count * h : 0);
            for (int k = 0; k < o.EnsembleSize; k++)
            {
                float[] memberReferences = k < seasonalMembers ? seasonalReferences : levelReferences;
                float[] targets = Subtract(absoluteTargets, memberReferences);
                var memberSettings = settings with { Seed = session.Seed + k, CheckpointPrefix = EnsembleWeights.Prefix(o.EnsembleSize, k), Member = k, Members = o.EnsembleSize };
                session.Reseed(k);
                using var network = new RecurrentSequenceNetwork(architecture, h, o.Dropout);
                if (initialModel is not null)
                    network.LoadWeights(EnsembleWeights.Member(initialModel.Weights, initialModel.Forecasting!.Members, k));
                network.to(device);
                var history = ForecasterTrainingLoop.Train(network, device, trainInputs, targets[..(trainRows * h)], validationInputs, targets[(split.ValidationStart * h)..],
                    new long[] { nw, 1 }, h, memberSettings, o.Progress, session.Info, o.CancellationToken, checkpoints, o.Loss);
                if (validationRows > 0)
                    validation.Add(FitSession.OnCpu(network, device, o.Dropout, cpu => RunTorch(cpu, validationInputs, nw)), memberReferences.AsSpan(split.ValidationStart * h));

                if (o.RefitOnAllWindows && validationRows > 0)
                {
                    // Same seed, same initial (or imported) weights, every window, the epoch count early stopping chose, last weights kept.
                    session.Reseed(k);
                    using var refitNetwork = new RecurrentSequenceNetwork(architecture, h, o.Dropout);
                    if (initialModel is not null)
                        refitNetwork.LoadWeights(EnsembleWeights.Member(initialModel.Weights, initialModel.Forecasting!.Members, k));
                    refitNetwork.to(device);
                    var refitSettings = memberSettings with { Epochs = history.BestEpoch, Patience = 0, RestoreBestWeights = false, Stage = TrainingStage.Refit };
                    var refit = ForecasterTrainingLoop.Train(refitNetwork, device, inputs, targets, Array.Empty<float>(), Array.Empty<float>(),
                        new long[] { nw, 1 }, h, refitSettings, o.Progress, session.Info, o.CancellationToken, checkpoints, o.Loss);
                    history = new TrainingHistory(history.TrainLoss, history.ValidationLoss, history.BestEpoch, history.StoppedEarly,
                        history.Duration + refit.Duration, refit.TrainLoss, history.ResumedEpochs + refit.ResumedEpochs);
                    network.LoadWeights(refitNetwork.ExportWeights());
                }
                first ??= history;
                duration += history.Duration;
                held.Add(FitSession.OnCpu(network, device, o.Dropout, cpu => RunTorch(cpu, heldInputs, nw)), memberReferences.AsSpan(heldStart * h));
                if (training.Length > 0)
                    training.Add(FitSession.OnCpu(network, device, o.Dropout, cpu => RunTorch(cpu, inputs, nw)), memberReferences);
                memberWeights.AddRange(EnsembleWeights.Named(network.ExportWeights(), o.EnsembleSize, k));
            }
            // The ensemble is the mean of its members in scaled space, exactly as the graph's Mean node computes it.
            float weight = 1f;
            bool hasReference = seasonalMembers > 0 || o.RelativeToWindow;
            if (o.ShrinkTowardsReference && hasReference && validationRows > 0)
            {
                // Judged on what ships: the networks blended with the linear part when there is one.
                weight = validation.ChooseNetworkWeight(validationAbsolute, o.EnsembleSize,
                    linear is { } part ? networks => Blend(networks, part.ValidationForecast, part.Share) : null);
                session.Info(string.Create(CultureInfo.InvariantCulture,
                    $"network weight {weight} (the reference plus {weight} x the networks' correction had the lowest validation MAE of the weights {string.Join(", ", ForecastSums.Candidates)})."));
            }
            // The forecasts the interval's residuals come from: out of sample on the validation windows when there are some.
            float[] networkForecasts = validationRows > 0 ? validation.Forecast(o.EnsembleSize, weight)
                : training.Length > 0 ? training.Forecast(o.EnsembleSize, weight)
                : Array.Empty<float>();
            // The history shown is the first member's (every member chooses its own epoch count); the duration is the whole ensemble's.
            var combined = new TrainingHistory(first!.TrainLoss, first.ValidationLoss, first.BestEpoch, first.StoppedEarly, duration,
                first.RefitTrainLoss, first.ResumedEpochs);
            if (linear is not null)
                memberWeights.AddRange(linear.Value.Part.Weights());
            return (combined, new WeightSet(memberWeights), held.Forecast(o.EnsembleSize, weight), networkForecasts, weight);
        });

        float[] residuals = Array.Empty<float>();
        if (networkForecasts.Length > 0)
        {
            bool outOfSample = validationRows > 0;
            float[] targets = outOfSample ? validationAbsolute : absoluteTargets;
            if (linear is { } lp)
            {
                // In sample (no validation windows) only the rows the part has a whole window for count.
                int skip = outOfSample ? 0 : partOffset * h;
                float[] part = outOfSample ? lp.ValidationForecast : lp.Part.Predict(Scaled(scaler, partInputs));
                networkForecasts = Blend(networkForecasts[skip..], part, lp.Share);
                targets = targets[skip..];
            }
            residuals = Subtract(targets, networkForecasts);
        }
        if (linear is { } l)
            heldMean = Blend(heldMean, l.Part.Predict(Scaled(scaler, heldRaw)), l.Share);

        ForecastIntervalOffsets? interval = null;
        if (o.IntervalCoverage > 0)
        {
            if (validationRows == 0)
                session.Warning("No validation windows, so the prediction interval comes from the training windows' residuals and is too narrow; provide a longer series.");
            interval = ConformalInterval.FromResiduals(residuals, h, o.IntervalCoverage, o.IntervalWidening);
        }
        float[] torchPoint = heldMean.Select(scaler.Inverse).ToArray();

        // 2. Export, then prove the export reproduces the trained network.
        var description = new ForecastingModelDescription(architecture, o.Window, h, scaler, o.RelativeToWindow, o.FeatureColumnName, o.ScoreColumnName)
        {
            NetworkWindow = nw == o.Window ? 0 : nw,
            ReferenceSeason = seasonalMembers > 0 ? o.Season : 0,
            SeasonalNaiveMembers = seasonalMembers,
            Members = o.EnsembleSize,
            Interval = interval,
            NetworkWeight = networkWeight,
            UnrolledSteps = UnrollsSteps(architecture),
            LinearShare = linear?.Share ?? 0f,
            LinearSeason = linear?.Part.Season ?? 0,
        };
        var metadata = session.Metadata(history).Concat(new KeyValuePair<string, string>[]
        {
            new(OnnxMetadataKeys.SeriesColumn, o.SeriesColumnName ?? string.Empty),
            new(OnnxMetadataKeys.LabelColumn, o.LabelColumnName),
        });
        byte[] onnx = ForecastingOnnxExporter.Export(description, weights, metadata);
        float[] onnxOutput = OnnxParityCheck.RunOnnx(onnx, o.FeatureColumnName, heldRaw, new long[] { heldRows, o.Window }, o.ScoreColumnName);
        var parity = session.VerifyParity(torchPoint, onnxOutput, "values");

        // 3. Wrap the ONNX model in ML.NET's own OnnxTransformer so Save/Load need no internals.
        IDataView windowsSchema = o.SeriesColumnName is null
            ? input
            : SeriesWindowing.CreateWindows(_mlContext, new float[o.Window + o.Horizon], o.Window, o.Horizon, o.FeatureColumnName, o.LabelColumnName);
        // The transformer reports the options the model was built with: no linear part when it was left out (a too-long window).
        var built = o.Clone();
        built.LinearShare = description.LinearShare;
        return ForecasterTransformer.Create(_mlContext, onnx, windowsSchema, built, history, parity, session.Channel);
    }

    /// <summary>
    /// Output schema: the window columns (when windowing a series), plus <see cref="ForecasterOptions.ScoreColumnName"/> as Vector&lt;Single, Horizon&gt;.
    /// </summary>
    /// <exception cref="ArgumentException">A required input column is missing or mistyped.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => ForecasterSchema.OutputShape(_mlContext, _options, inputSchema);

    /// <summary>The network's scaled-space outputs <c>[rows, horizon]</c> for preprocessed inputs <c>[rows, window]</c>.</summary>
    private static float[] RunTorch(RecurrentSequenceNetwork network, float[] inputs, int window)
    {
        int rows = inputs.Length / window;
        network.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(inputs, new long[] { rows, window, 1 }, device: torch.CPU);
        return network.call(x).cpu().data<float>().ToArray();
    }

    /// <summary>
    /// Fits the linear part (<see cref="ForecasterOptions.LinearShare"/>) on the whole scaled windows <paramref name="partInputs"/>,
    /// row <c>r</c> of which has the targets of the networks' row <c>r + partOffset</c> (<paramref name="partTargets"/>): first on the
    /// rows whose targets are training targets, for its out-of-sample forecasts of the validation windows (which feed the interval as
    /// the networks' do), then again on every row when the networks are refitted. Null when the share is 0 or the window is longer
    /// than <see cref="LinearPart.MaxWindow"/>.
    /// </summary>
    private static (LinearPart Part, float[] ValidationForecast, float Share)? FitLinearPart(
        ForecasterOptions o, SeriesScaler scaler, float[] partInputs, float[] partTargets, ForecastSplit split, int partOffset, FitSession session)
    {
        if (o.LinearShare == 0)
            return null;
        o.CancellationToken.ThrowIfCancellationRequested();
        if (o.Window > LinearPart.MaxWindow)
        {
            session.Warning(string.Create(CultureInfo.InvariantCulture,
                $"The window ({o.Window}) is longer than {LinearPart.MaxWindow}: the forecaster has no linear part (LinearShare ignored; a shorter window keeps it)."));
            return null;
        }
        int w = o.Window, h = o.Horizon;
        int rows = partInputs.Length / w;
        float[] x = Scaled(scaler, partInputs);
        int trainRows = split.Train - partOffset, validationStart = split.ValidationStart - partOffset;
        if (split.Validation > 0 && validationStart < 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The window ({w}) is too long for this series: the linear part has {rows} whole windows, fewer than the {split.Validation} validation windows. " +
                $"Shorten Window (or lengthen NetworkWindow, now {o.NetworkWindowOrWindow}) or provide a longer series."));
        LinearPart part;
        float[] validationForecast = Array.Empty<float>();
        string fittedOn;
        if (split.Validation > 0 && trainRows >= 1)
        {
            part = LinearPart.Fit(x.AsSpan(0, trainRows * w), partTargets.AsSpan(0, trainRows * h), w, h, o.Season);
            validationForecast = part.Predict(x.AsSpan(validationStart * w));
            if (o.RefitOnAllWindows)
                part = LinearPart.Fit(x, partTargets, w, h, o.Season);
            fittedOn = o.RefitOnAllWindows ? "training windows, then every window" : "training windows";
        }
        else
        {
            part = LinearPart.Fit(x, partTargets, w, h, o.Season);
            if (split.Validation > 0)
            {
                // Too few whole windows before the validation ones: the part's validation forecasts are in sample.
                validationForecast = part.Predict(x.AsSpan(validationStart * w));
                session.Warning(string.Create(CultureInfo.InvariantCulture,
                    $"The window ({w}) leaves the linear part no whole window before the validation windows: it was fitted on all {rows}, so the interval from its validation forecasts is in sample and may be too narrow. Shorten Window or provide a longer series."));
            }
            fittedOn = "every window";
        }
        var m = part.Smoothing;
        session.Info(string.Create(CultureInfo.InvariantCulture,
            $"Linear part: share {o.LinearShare:0.###}; Holt-Winters smoothing over {w} values{(HoltWintersSmoothing.IsSeasonal(w, o.Season) ? $" (season {o.Season})" : "")}: " +
            $"alpha {m.Alpha}, beta {m.Beta}, phi {m.Phi}, gamma {m.Gamma} (lowest squared error on the {fittedOn})."));
        return (part, validationForecast, (float)o.LinearShare);
    }

    /// <summary>The last <paramref name="recent"/> values of each window <c>[rows, window]</c>.</summary>
    private static float[] RecentValues(float[] windows, int window, int recent)
    {
        int rows = windows.Length / window;
        var result = new float[rows * recent];
        for (int r = 0; r < rows; r++)
            windows.AsSpan(r * window + window - recent, recent).CopyTo(result.AsSpan(r * recent, recent));
        return result;
    }

    private static float[] Scaled(SeriesScaler scaler, float[] raw)
    {
        var scaled = new float[raw.Length];
        scaler.Transform(raw, scaled);
        return scaled;
    }

    private static float[] Blend(float[] networks, float[] linear, float share)
    {
        var blended = new float[networks.Length];
        for (int i = 0; i < blended.Length; i++)
            blended[i] = (1f - share) * networks[i] + share * linear[i];
        return blended;
    }

    private static float[] Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var d = new float[a.Length];
        for (int i = 0; i < d.Length; i++)
            d[i] = a[i] - b[i];
        return d;
    }

    /// <summary>
    /// Whether the exported graph unrolls the stack over the window: for GRU cells up to 64 hidden units, where ONNX Runtime's GRU kernel
    /// is the bottleneck (1.2-1.9x the windows per second measured with the unrolled graph); LSTM graphs keep ONNX's LSTM node, which
    /// was as fast or faster (0.6-1.0x unrolled), as do RNN cells (not measured). docs/PERFORMANCE.md has the table.
    /// </summary>
    internal static bool UnrollsSteps(RecurrentArchitecture architecture) => architecture.Cell == RecurrentCellKind.Gru && architecture.HiddenSize <= 64;
}
