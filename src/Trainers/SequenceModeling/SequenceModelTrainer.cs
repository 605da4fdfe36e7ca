using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>
/// Trains an LSTM/GRU/RNN over sequences of float feature vectors with TorchSharp: each row's fixed-size <c>Vector&lt;Single&gt;</c>
/// column is read as steps of <see cref="SequenceModelOptions.FeaturesPerStep"/> values. A Boolean label trains a binary classifier
/// (sigmoid head), a key label a multiclass classifier (softmax head), a Single label a regressor (linear head). The model is exported to
/// ONNX (feature scaling, the reshape into steps and, for a regressor, the label's scale inside the graph), checked against TorchSharp,
/// and returned as a <see cref="SequenceModelTransformer"/> whose output columns are ML.NET's, so
/// <c>mlContext.BinaryClassification/MulticlassClassification/Regression.Evaluate</c> and <c>mlContext.Model.Save/Load</c> work unchanged.
/// </summary>
/// <remarks>Rows with a missing key label or a NaN Single label are skipped (and counted in the log); a NaN or infinite feature is an error naming the row.</remarks>
public sealed class SequenceModelTrainer : IEstimator<SequenceModelTransformer>
{
    private readonly MLContext _mlContext;
    private readonly SequenceModelOptions _options;
    private readonly bool _regression;

    internal SequenceModelTrainer(MLContext mlContext, SequenceModelOptions options, bool regression)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _regression = regression;
    }

    /// <summary>Trains on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">A column is missing or mistyped, the vector is not whole steps, a feature is not finite, or there are too few rows.</exception>
    /// <exception cref="InvalidOperationException">CUDA was required and is absent, training diverged, or the ONNX parity check failed.</exception>
    public SequenceModelTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        using var session = FitSession.Start(_mlContext, _regression ? "MlNetRnn.SequenceRegressor" : "MlNetRnn.SequenceClassifier", o);
        int seed = session.Seed;
        var data = SequenceRows.Read(input, o, _regression);
        if (data.Skipped > 0)
            session.Warning($"{data.Skipped} row(s) with a missing label were skipped.");
        if (data.Count < 2)
            throw new ArgumentException($"The training data has {data.Count} labelled row(s) in columns '{o.FeatureColumnName}' and '{o.LabelColumnName}'; at least 2 are needed.");
        var kind = data.Kind;
        int features = o.FeaturesPerStep, steps = data.AnyLength ? 0 : data.Width / features;

        // 1. Split by seed; the scaling comes from the training split only.
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(seed).Shuffle(order);
        int validationCount = (int)(data.Count * o.ValidationFraction);
        var validationRows = order[..validationCount];
        var trainRows = order[validationCount..];
        var inputScaling = o.ScaleFeatures ? FeatureScaling(data, trainRows, features) : null;
        var outputScaling = o.ScaleFeatures && kind == SequenceModelKind.Regression ? LabelScaling(data, trainRows) : null;
        string shape = data.AnyLength
            ? string.Create(CultureInfo.InvariantCulture, $"{data.Rows.Min(r => r.Length) / features} to {data.Rows.Max(r => r.Length) / features} steps")
            : string.Create(CultureInfo.InvariantCulture, $"{steps} steps");
        session.Info(string.Create(CultureInfo.InvariantCulture,
            $"{data.Count} sequences of {shape} x {features} features: {trainRows.Length} for training, {validationCount} for validation; {Describe(kind, data.LabelNames)}."));

        // 2. Train each member on the scaled data.
        int outputs = kind == SequenceModelKind.MulticlassClassification ? data.LabelNames.Length : 1;
        var architecture = new RecurrentArchitecture(o.Cell, features, o.HiddenSize, o.NumberOfLayers, o.Bidirectional);
        var network = new SequenceModelDescription(architecture, outputs)
        {
            Members = o.EnsembleSize,
            Task = SequenceModelTransformer.TaskName,
            Pooling = o.Pooling,
            Activation = kind switch
            {
                SequenceModelKind.BinaryClassification => HeadActivation.Sigmoid,
                SequenceModelKind.MulticlassClassification => HeadActivation.Softmax,
                _ => HeadActivation.Linear,
            },
        };
        var trainX = Scaled(data, trainRows, inputScaling);
        var trainY = Targets(data, trainRows, outputScaling);
        var validationX = Scaled(data, validationRows, inputScaling);
        var validationY = Targets(data, validationRows, outputScaling);
        var heldRows = (validationRows.Length > 0 ? validationRows : trainRows).Take(64).ToArray();
        var heldX = Scaled(data, heldRows, inputScaling);
        var checkpoints = session.Checkpoints(FitSession.DataDigest(data.Rows.SelectMany(r => r).ToArray(), data.Labels, data.Rows.Select(r => (float)r.Length).ToArray()));
        var settings = new SequenceTrainingSettings(o.Epochs, o.BatchSize, o.LearningRate, o.GradientClipNorm, o.Patience, seed) { Schedule = o.CreateSchedule(), Members = o.EnsembleSize };
        var (history, weights, headSum) = session.Train(device =>
        {
            var single = network with { Members = 1 };
            var memberWeights = new List<NamedTensor>();
            var sum = new float[heldRows.Length * outputs];
            TrainingHistory? first = null;
            var duration = TimeSpan.Zero;
            for (int k = 0; k < o.EnsembleSize; k++)
            {
                if (k > 0)
                    session.Reseed(k);
                using var model = new RecurrentSequenceNetwork(single, o.Dropout);
                model.to(device);
                var history = SequenceModelTrainingLoop.Train(model, device, kind, trainX, trainY, validationX, validationY, features, data.AnyLength,
                    settings with { Seed = seed + k, Member = k, Schedule = o.CreateSchedule() }, o.Progress, session.Info, o.CancellationToken, checkpoints);
                first ??= history;
                duration += history.Duration;
                var values = FitSession.OnCpu(model, device, o.Dropout, cpu => SequenceModelTrainingLoop.HeadValues(cpu, heldX, features, data.AnyLength, o.BatchSize));
                for (int i = 0; i < values.Length; i++)
                    sum[i] += values[i];
                memberWeights.AddRange(EnsembleWeights.Named(model.ExportWeights(), o.EnsembleSize, k));
            }
            // The history shown is the first member's (each stops on its own); the duration is the whole ensemble's.
            var combined = new TrainingHistory(first!.TrainLoss, first.ValidationLoss, first.BestEpoch, first.StoppedEarly, duration, first.RefitTrainLoss, first.ResumedEpochs);
            return (combined, new WeightSet(memberWeights), sum);
        });

        // 3. Export with the scaling and the reshape inside the graph, and check it against TorchSharp on the raw features.
        var deployed = network with
        {
            InputScaling = inputScaling,
            OutputScaling = outputScaling,
            FlattenedSteps = steps,
            FlattenedAnySteps = data.AnyLength,
            UsesLengths = data.AnyLength,
            PredictedIndexOutput = kind == SequenceModelKind.MulticlassClassification,
        };
        var metadata = SequenceModelTransformer.WriteMetadata(kind, data.LabelNames, o).Concat(session.Metadata(history)).ToList();
        byte[] onnx = SequenceOnnxExporter.Export(deployed, weights, metadata);
        float[] onnxValues = SequenceModelTransformer.ScoreRows(onnx, heldRows.Select(r => data.Rows[r]).ToArray(), features, data.AnyLength,
            kind == SequenceModelKind.Regression ? SequenceOnnxNames.Output : SequenceOnnxNames.Probabilities);
        float[] torchValues = Reference(headSum, o.EnsembleSize, outputs, kind, outputScaling);
        var parity = session.VerifyParity(torchValues, onnxValues, kind == SequenceModelKind.Regression ? "predictions" : "probabilities");
        // ML.NET's OnnxTransformer runs one row at a time: a variable-size vector without a length column is the row's exact steps (no lengths
        // input); a fixed-size vector must meet an input of fixed width (it cannot size a dynamic one from the column); a length column
        // arrives as [1, 1].
        byte[] rowOnnx = !data.AnyLength ? onnx
            : o.LengthColumnName is null ? SequenceOnnxExporter.Export(deployed with { UsesLengths = false }, weights, metadata)
            : SequenceOnnxExporter.Export(deployed with
            {
                FlattenedAnySteps = data.Width == 0,
                FlattenedSteps = data.Width / features,
                LengthsColumnShape = true,
            }, weights, metadata);
        return SequenceModelTransformer.Create(_mlContext, onnx, rowOnnx, data.AnyLength, input, o, kind, data.LabelNames, history, parity, session.Channel);
    }

    /// <summary>The output schema: the input columns plus ML.NET's <c>Score</c> (and <c>Probability</c>, <c>PredictedLabel</c> for classifiers).</summary>
    /// <exception cref="ArgumentException">The feature or label column is missing or has a type the estimator cannot use.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var o = _options;
        var features = inputSchema.FirstOrDefault(c => c.Name == o.FeatureColumnName);
        if (features.Name is null || features.Kind == SchemaShape.Column.VectorKind.Scalar || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"The feature column '{o.FeatureColumnName}' is missing or not a vector of Single.");
        var label = inputSchema.FirstOrDefault(c => c.Name == o.LabelColumnName);
        var kind = _regression ? SequenceModelKind.Regression
            : label.Name is not null && label.ItemType is BooleanDataViewType ? SequenceModelKind.BinaryClassification
            : SequenceModelKind.MulticlassClassification;
        // Third-party code cannot construct SchemaShape columns; a CustomMapping with the same output columns describes them.
        var inDef = SchemaDefinition.Create(typeof(FeatureRow));
        inDef[nameof(FeatureRow.Features)].ColumnName = o.FeatureColumnName;
        switch (kind)
        {
            case SequenceModelKind.BinaryClassification:
                return _mlContext.Transforms.CustomMapping<FeatureRow, SequenceModelMappings.BinaryOutput>((_, _) => { }, null, inDef).GetOutputSchema(inputSchema);
            case SequenceModelKind.Regression:
                return _mlContext.Transforms.CustomMapping<FeatureRow, SequenceModelMappings.RegressionOutput>((_, _) => { }, null, inDef).GetOutputSchema(inputSchema);
            default:
                var outDef = SchemaDefinition.Create(typeof(MulticlassRow));
                outDef[nameof(MulticlassRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), int.MaxValue);
                return _mlContext.Transforms.CustomMapping<FeatureRow, MulticlassRow>((_, _) => { }, null, inDef, outDef).GetOutputSchema(inputSchema);
        }
    }

    private sealed class FeatureRow
    {
        [VectorType]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class MulticlassRow
    {
        [VectorType]
        public float[] Score { get; set; } = Array.Empty<float>();

        public uint PredictedLabel { get; set; }
    }

    private static string Describe(SequenceModelKind kind, string[] labels) => kind switch
    {
        SequenceModelKind.BinaryClassification => "binary",
        SequenceModelKind.MulticlassClassification => $"{labels.Length} classes",
        _ => "regression",
    };

    /// <summary>Each feature's mean and standard deviation over the training rows and all their steps (a constant feature keeps scale 1).</summary>
    private static AffineScaling FeatureScaling(SequenceRows data, int[] rows, int features)
    {
        var sum = new double[features];
        var squares = new double[features];
        long count = 0;
        foreach (int r in rows)
        {
            var row = data.Rows[r];
            for (int i = 0; i < row.Length; i++)
            {
                sum[i % features] += row[i];
                squares[i % features] += (double)row[i] * row[i];
            }
            count += row.Length / features;
        }
        var center = new float[features];
        var scale = new float[features];
        for (int f = 0; f < features; f++)
        {
            double mean = sum[f] / count, variance = Math.Max(0, squares[f] / count - mean * mean);
            center[f] = (float)mean;
            scale[f] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return new AffineScaling(center, scale);
    }

    private static AffineScaling LabelScaling(SequenceRows data, int[] rows)
    {
        double mean = rows.Average(r => (double)data.Labels[r]);
        double variance = rows.Average(r => (data.Labels[r] - mean) * (data.Labels[r] - mean));
        return new AffineScaling(new[] { (float)mean }, new[] { variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f });
    }

    private static float[][] Scaled(SequenceRows data, int[] rows, AffineScaling? scaling)
    {
        var result = new float[rows.Length][];
        int features = scaling?.Count ?? 1;
        for (int i = 0; i < rows.Length; i++)
        {
            var source = data.Rows[rows[i]];
            var target = result[i] = new float[source.Length];
            for (int j = 0; j < source.Length; j++)
                target[j] = scaling is null ? source[j] : (source[j] - scaling.Center[j % features]) / scaling.Scale[j % features];
        }
        return result;
    }

    private static float[] Targets(SequenceRows data, int[] rows, AffineScaling? scaling) =>
        rows.Select(r => scaling is null ? data.Labels[r] : (data.Labels[r] - scaling.Center[0]) / scaling.Scale[0]).ToArray();

    /// <summary>What the graph computes from the members' summed head values: the mean, then the activation or the label's scale.</summary>
    private static float[] Reference(float[] sum, int members, int outputs, SequenceModelKind kind, AffineScaling? outputScaling)
    {
        var result = new float[sum.Length];
        for (int row = 0; row < sum.Length / outputs; row++)
        {
            var mean = sum.AsSpan(row * outputs, outputs).ToArray().Select(v => (double)v / members).ToArray();
            switch (kind)
            {
                case SequenceModelKind.BinaryClassification:
                    result[row] = (float)(1 / (1 + Math.Exp(-mean[0])));
                    break;
                case SequenceModelKind.Regression:
                    result[row] = (float)(outputScaling is null ? mean[0] : mean[0] * outputScaling.Scale[0] + outputScaling.Center[0]);
                    break;
                default:
                    double max = mean.Max(), total = mean.Sum(v => Math.Exp(v - max));
                    for (int c = 0; c < outputs; c++)
                        result[row * outputs + c] = (float)(Math.Exp(mean[c] - max) / total);
                    break;
            }
        }
        return result;
    }
}
