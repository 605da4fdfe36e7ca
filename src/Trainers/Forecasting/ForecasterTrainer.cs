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

        // 1. Data: windows in original units, plus the name used in messages.
        float[] rawInputs, rawTargets;
        int count;
        string source;
        ForecastSplit split;
        float[] scalerValues;
        if (o.SeriesColumnName is not null)
        {
            source = $"series column '{o.SeriesColumnName}'";
            float[] series = SeriesColumnReader.Read(input, o.SeriesColumnName);
            (rawInputs, rawTargets, count) = SlidingWindows.Build(series, o.Window, o.Horizon, source);
            if (o.LogTransform)
                PositiveValues.Require(series, source);
            split = ForecastSplit.Compute(count, o.ValidationFraction, o.Horizon);
            // The scaler sees only values covered by training windows and their targets: no peeking at validation.
            scalerValues = series.AsSpan(0, split.Train - 1 + o.Window + o.Horizon).ToArray();
        }
        else
        {
            source = $"windows in column '{o.FeatureColumnName}'";
            var all = DenseBatchReader.ReadAll(input, o.FeatureColumnName, o.Window, o.LabelColumnName, o.Horizon);
            if (all.Rows == 0)
                throw new ArgumentException($"The training data has no rows in columns '{o.FeatureColumnName}' and '{o.LabelColumnName}'.");
            (rawInputs, rawTargets, count) = (all.Features, all.Labels!, all.Rows);
            if (o.LogTransform)
            {
                PositiveValues.Require(rawInputs, $"column '{o.FeatureColumnName}'");
                PositiveValues.Require(rawTargets, $"column '{o.LabelColumnName}'");
            }
            split = ForecastSplit.Compute(count, o.ValidationFraction, o.Horizon);
            scalerValues = rawInputs.AsSpan(0, split.Train * o.Window).ToArray().Concat(rawTargets.AsSpan(0, split.Train * o.Horizon).ToArray()).ToArray();
        }

        int trainRows = split.Train;
        int validationRows = split.Validation;
        var scaler = initialModel?.Forecasting?.Scaler ?? SeriesScaler.Fit(scalerValues, o.Scaling, o.LogTransform, source);
        var (inputs, levels) = ForecastPreprocessing.ScaleInputs(rawInputs, o.Window, scaler, o.RelativeToWindow);
        float[] targets = ForecastPreprocessing.ScaleTargets(rawTargets, o.Horizon, scaler, levels);
        if (o.ValidationFraction > 0 && validationRows == 0)
            session.Warning(
                $"{count} windows from the {source} are too few for a validation split with horizon {o.Horizon}: training on all of them without early stopping " +
                "(the epoch with the lowest training loss is kept). Provide a longer series for early stopping.");
        session.Info(
            $"{count} windows from the {source}: {trainRows} for training, {split.Gap} left out so no validation target is a training target, " +
            $"{validationRows} (the most recent) for validation; scaler {scaler}.");

        var architecture = new RecurrentArchitecture(o.Cell, 1, o.HiddenSize, o.NumberOfLayers, o.Bidirectional);
        var settings = new TrainingSettings(o.Epochs, o.BatchSize, o.LearningRate, o.GradientClipNorm, o.Patience, o.Shuffle, session.Seed)
        {
            Schedule = o.CreateSchedule,
        };

        // Held batch for the parity check: the most recent windows (the validation ones when there is a split), at most 64 rows.
        int heldRows = Math.Min(64, validationRows > 0 ? validationRows : trainRows);
        int heldStart = count - heldRows;
        float[] heldRaw = rawInputs.AsSpan(heldStart * o.Window, heldRows * o.Window).ToArray();
        var checkpoints = session.Checkpoints(FitSession.DataDigest(inputs, targets));

        var (history, weights, torchReference) = session.Train(device =>
        {
            using var network = new RecurrentSequenceNetwork(architecture, o.Horizon, o.Dropout);
            if (initialModel is not null)
                network.LoadWeights(initialModel.Weights);
            network.to(device);
            var history = ForecasterTrainingLoop.Train(network, device,
                inputs.AsSpan(0, trainRows * o.Window).ToArray(), targets.AsSpan(0, trainRows * o.Horizon).ToArray(),
                inputs.AsSpan(split.ValidationStart * o.Window).ToArray(), targets.AsSpan(split.ValidationStart * o.Horizon).ToArray(),
                new long[] { o.Window, 1 }, o.Horizon, settings, o.Progress, session.Info, o.CancellationToken, checkpoints);

            if (o.RefitOnAllWindows && validationRows > 0)
            {
                // Same seed, same initial (or imported) weights, every window, the epoch count early stopping chose, last weights kept.
                session.Reseed();
                using var refitNetwork = new RecurrentSequenceNetwork(architecture, o.Horizon, o.Dropout);
                if (initialModel is not null)
                    refitNetwork.LoadWeights(initialModel.Weights);
                refitNetwork.to(device);
                var refitSettings = settings with { Epochs = history.BestEpoch, Patience = 0, RestoreBestWeights = false, Stage = TrainingStage.Refit };
                var refit = ForecasterTrainingLoop.Train(refitNetwork, device, inputs, targets, Array.Empty<float>(), Array.Empty<float>(),
                    new long[] { o.Window, 1 }, o.Horizon, refitSettings, o.Progress, session.Info, o.CancellationToken, checkpoints);
                history = new TrainingHistory(history.TrainLoss, history.ValidationLoss, history.BestEpoch, history.StoppedEarly,
                    history.Duration + refit.Duration, refit.TrainLoss, history.ResumedEpochs + refit.ResumedEpochs);
                network.LoadWeights(refitNetwork.ExportWeights());
            }
            var reference = FitSession.OnCpu(network, device, o.Dropout, cpu => PredictTorch(cpu, torch.CPU, heldRaw, o.Window, o.Horizon, scaler, o.RelativeToWindow));
            return (history, network.ExportWeights(), reference);
        });

        // 2. Export, then prove the export reproduces the trained network.
        var description = new ForecastingModelDescription(architecture, o.Window, o.Horizon, scaler, o.RelativeToWindow, o.FeatureColumnName, o.ScoreColumnName);
        var metadata = session.Metadata(history).Concat(new KeyValuePair<string, string>[]
        {
            new(OnnxMetadataKeys.SeriesColumn, o.SeriesColumnName ?? string.Empty),
            new(OnnxMetadataKeys.LabelColumn, o.LabelColumnName),
        });
        byte[] onnx = ForecastingOnnxExporter.Export(description, weights, metadata);
        float[] onnxOutput = OnnxParityCheck.RunOnnx(onnx, o.FeatureColumnName, heldRaw, new long[] { heldRows, o.Window }, o.ScoreColumnName);
        var parity = session.VerifyParity(torchReference, onnxOutput, "values");

        // 3. Wrap the ONNX model in ML.NET's own OnnxTransformer so Save/Load need no internals.
        IDataView windowsSchema = o.SeriesColumnName is null
            ? input
            : SeriesWindowing.CreateWindows(_mlContext, new float[o.Window + o.Horizon], o.Window, o.Horizon, o.FeatureColumnName, o.LabelColumnName);
        return ForecasterTransformer.Create(_mlContext, onnx, windowsSchema, o, history, parity, session.Channel);
    }

    /// <summary>
    /// Output schema: the window columns (when windowing a series), plus <see cref="ForecasterOptions.ScoreColumnName"/> as Vector&lt;Single, Horizon&gt;.
    /// </summary>
    /// <exception cref="ArgumentException">A required input column is missing or mistyped.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => ForecasterSchema.OutputShape(_mlContext, _options, inputSchema);

    private static float[] PredictTorch(RecurrentSequenceNetwork network, Device device, float[] rawWindows, int window, int horizon,
        SeriesScaler scaler, bool relative)
    {
        var (inputs, levels) = ForecastPreprocessing.ScaleInputs(rawWindows, window, scaler, relative);
        int rows = levels.Length;
        network.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(inputs, new long[] { rows, window, 1 }, device: device);
        float[] outputs = network.call(x).cpu().data<float>().ToArray();
        ForecastPreprocessing.UnscaleOutputs(outputs, horizon, scaler, levels);
        return outputs;
    }
}
