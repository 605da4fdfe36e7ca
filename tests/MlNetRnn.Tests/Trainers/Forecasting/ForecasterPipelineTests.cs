using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>The forecaster inside real ML.NET pipelines: Fit, Transform, Evaluate, Save/Load, raw ONNX Runtime scoring, determinism.</summary>
public sealed class ForecasterPipelineTests
{
    [Fact]
    public void FitTransformEvaluateOnAirPassengers()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        var data = TestData.AsView(ml, series);
        var reports = new List<TrainingProgress>();
        var options = ForecasterTestOptions.Small();
        options.Progress = new InlineProgress<TrainingProgress>(reports.Add);

        using var model = ml.Rnn().Forecaster(options).Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.Rnn().EvaluateForecast(scored);

        int windows = series.Length - 12 - 3 + 1;
        Assert.Equal(windows * 3, metrics.Count);
        Assert.True(metrics.Mape is > 0 and < 100, $"MAPE {metrics.Mape}");
        Assert.True(metrics.Rmse > 0);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1, 3).Size, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
        var training = reports.Where(r => r.Stage == TrainingStage.Training).ToList();
        var refit = reports.Where(r => r.Stage == TrainingStage.Refit).ToList();
        Assert.Equal(Enumerable.Range(1, options.Epochs), training.Select(r => r.Epoch));
        Assert.Equal(Enumerable.Range(1, model.History!.BestEpoch), refit.Select(r => r.Epoch));
        Assert.Equal(model.History.BestEpoch, model.History.RefitTrainLoss.Count);
        Assert.Equal(options.Epochs, model.History!.EpochsRun);
        Assert.True(model.Parity!.Passed);
        Assert.True(model.Parity.MaxAbsDiff < 0.05, $"parity {model.Parity.MaxAbsDiff}");
    }

    [Fact]
    public void ScoresAreInOriginalUnitsAndMatchForecastOfTheSameWindow()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 6)).Fit(TestData.AsView(ml, series));

        var scored = model.Transform(TestData.AsView(ml, series));
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var starts = scored.GetColumn<long>("WindowStart").ToArray();
        int last = scores.Length - 1;
        float[] direct = model.Forecast(series.AsSpan(0, (int)starts[last] + 12));

        Assert.Equal(scores[last], direct);
        Assert.All(scores.SelectMany(s => s), v => Assert.InRange(v, 50f, 1000f)); // passengers, not scaled units
    }

    [Fact]
    public void SaveAndLoadGiveIdenticalScores()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(RecurrentCellKind.Lstm)).Fit(data);
        var windows = ml.Rnn().CreateWindows(data, "Value", 12, 3);
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, windows.Schema, path);

            var loadedChain = ml.Model.Load(path, out var schema);
            using var loaded = ml.Rnn().LoadForecaster(path);

            var original = model.Transform(windows).GetColumn<float[]>("Score").ToArray();
            var viaChain = loadedChain.Transform(windows).GetColumn<float[]>("Score").ToArray();
            var viaWrapper = loaded.Transform(windows).GetColumn<float[]>("Score").ToArray();
            Assert.Equal(original, viaChain);
            Assert.Equal(original, viaWrapper);
            Assert.NotNull(schema.GetColumnOrNull("Features"));
            Assert.Equal(model.History!.TrainLoss, loaded.History!.TrainLoss);
            Assert.Equal(model.History.BestEpoch, loaded.History.BestEpoch);
            // The default linear part travels in the graph and is read back into the loaded model's options.
            Assert.Equal(new ForecasterOptions().LinearShare, loaded.Options.LinearShare, 6);
            Assert.Equal(model.GetOnnxModel(), loaded.GetOnnxModel());
            Assert.Equal(12, loaded.Window);
            Assert.Equal(3, loaded.Horizon);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OnnxFileScoredByPlainInferenceSessionEqualsTransformerScores()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(RecurrentCellKind.RnnTanh)).Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.onnx");
        try
        {
            model.SaveOnnx(path);
            var windows = ml.Rnn().CreateWindows(data, "Value", 12, 3);
            var features = windows.GetColumn<float[]>("Features").ToArray();
            var expected = model.Transform(windows).GetColumn<float[]>("Score").ToArray();

            using var session = new InferenceSession(path);
            Assert.Equal("forecasting", session.ModelMetadata.CustomMetadataMap[OnnxMetadataKeys.Task]);
            Assert.Equal("12", session.ModelMetadata.CustomMetadataMap[OnnxMetadataKeys.Window]);
            // All windows in one batch: the dynamic batch dimension works and agrees with ML.NET's one-row-per-run path.
            var batch = new DenseTensor<float>(features.SelectMany(f => f).ToArray(), new[] { features.Length, 12 });
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("Features", batch) });
            var flat = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                for (int j = 0; j < 3; j++)
                    Assert.True(Math.Abs(flat[i * 3 + j] - expected[i][j]) <= 1e-5 + 1e-5 * Math.Abs(expected[i][j]), $"row {i} step {j}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SameSeedTwiceGivesIdenticalForecastsAndDifferentSeedsDiffer()
    {
        var series = TestData.AirPassengers();
        float[] Train(int seed)
        {
            var ml = new MLContext(1);
            var options = ForecasterTestOptions.Small(RecurrentCellKind.Lstm);
            options.Seed = seed;
            using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
            return model.Forecast(series);
        }

        var first = Train(3);
        var second = Train(3);
        var other = Train(4);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void MlContextSeedDrivesTrainingWhenNoSeedOptionIsGiven()
    {
        var series = TestData.AirPassengers();
        float[] Train(int contextSeed)
        {
            var ml = new MLContext(contextSeed);
            var options = ForecasterTestOptions.Small();
            options.Seed = null;
            using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
            return model.Forecast(series);
        }

        Assert.Equal(Train(5), Train(5));
    }

    [Fact]
    public void ReadyMadeWindowsPathTrainsAndScoresWithoutASeriesColumn()
    {
        var ml = new MLContext(1);
        var windows = ml.Rnn().CreateWindows(TestData.AsView(ml, TestData.Nottem()), "Value", 12, 3);
        var options = ForecasterTestOptions.Small();
        options.SeriesColumnName = null;
        options.LogTransform = false;

        using var model = ml.Rnn().Forecaster(options).Fit(windows);
        var metrics = ml.Rnn().EvaluateForecast(model.Transform(windows));

        Assert.True(metrics.Mape < 100);
        Assert.Null(model.Metadata.GetValueOrDefault("io.series_column") is { Length: > 0 } s ? s : null);
    }

    [Fact]
    public void WorksInsideAnEstimatorChain()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var pipeline = ml.Transforms.CopyColumns("Value", "Value").Append(ml.Rnn().Forecaster(ForecasterTestOptions.Small()));

        // EstimatorChain.Fit propagates schemas through GetOutputSchema before fitting each estimator.
        var chain = pipeline.Fit(data);
        using var model = (ForecasterTransformer)chain.LastTransformer;

        Assert.NotNull(chain.GetOutputSchema(data.Schema).GetColumnOrNull("Score"));
        Assert.Equal(3, model.Forecast(TestData.AirPassengers()).Length);
    }

    [Fact]
    public void DisposeDeletesTheTemporaryModelFileAndSaveWorksUntilThen()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(data);
        string file = model.ModelFilePath!;
        Assert.True(File.Exists(file));
        using (var stream = new MemoryStream())
        {
            ml.Model.Save(model, model.WindowsSchema, stream); // OnnxTransformer re-reads its model file here
            Assert.True(stream.Length > 1000);
        }

        model.Dispose();

        Assert.False(File.Exists(file));
        Assert.Throws<ObjectDisposedException>(() => model.Forecast(TestData.AirPassengers()));
    }

    [Fact]
    public void SaveRecordsTheWindowsSchemaSoModelLoadCanScoreWithIt()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 2)).Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);

            var loaded = ml.Model.Load(path, out var inputSchema);
            var empty = ml.Data.LoadFromEnumerable(new ForecastInputRow[] { new() { Features = new float[12], Label = new float[3] } },
                SchemaDefinitionFrom(inputSchema));
            var scored = loaded.Transform(empty);

            Assert.NotNull(inputSchema.GetColumnOrNull("Features"));
            Assert.Single(scored.GetColumn<float[]>("Score"));
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    public sealed class ForecastInputRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();

        public float[] Label { get; set; } = Array.Empty<float>();

        public long WindowStart { get; set; }
    }

    private static SchemaDefinition SchemaDefinitionFrom(DataViewSchema schema)
    {
        var definition = SchemaDefinition.Create(typeof(ForecastInputRow));
        definition[nameof(ForecastInputRow.Features)].ColumnType = schema["Features"].Type;
        definition[nameof(ForecastInputRow.Label)].ColumnType = schema["Label"].Type;
        return definition;
    }

    public sealed class WindowInput
    {
        [VectorType(12)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class ForecastOutput
    {
        [VectorType(3)]
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void PredictionEngineScoresOneWindowLikeForecast()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small()).Fit(TestData.AsView(ml, series));

        using var engine = ml.Model.CreatePredictionEngine<WindowInput, ForecastOutput>(model);
        var prediction = engine.Predict(new WindowInput { Features = series[^12..] });

        Assert.Equal(model.Forecast(series), prediction.Score);
    }

    [Fact]
    public void OutputSchemaOfASeriesIsTheWindowsViewWithScore()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(data);

        var schema = model.GetOutputSchema(data.Schema);

        Assert.Equal(12, ((VectorDataViewType)schema["Features"].Type).Size);
        Assert.Equal(3, ((VectorDataViewType)schema["Label"].Type).Size);
        Assert.Equal(3, ((VectorDataViewType)schema["Score"].Type).Size);
        Assert.Null(schema.GetColumnOrNull("Value"));
        Assert.Equal("cpu", model.TrainingDevice);
    }
}
