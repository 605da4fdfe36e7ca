using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Bad input fails early with a message that names the column, value or size and says what to do.</summary>
public sealed class ForecasterValidationTests
{
    [Fact]
    public void MissingColumnListsTheAvailableOnes()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small();
        options.SeriesColumnName = "Passengers";

        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers())));

        Assert.Contains("'Passengers'", ex.Message);
        Assert.Contains("'Value'", ex.Message);
    }

    [Fact]
    public void NonFloatColumnNamesItsTypeAndTheConversion()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(TestData.AirPassengers().Select(v => new TestData.DoubleRow { Value = v }));

        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(ForecasterTestOptions.Small()).Fit(data));

        Assert.Contains("'Value'", ex.Message);
        Assert.Contains("Double", ex.Message);
        Assert.Contains("ConvertType", ex.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteValueNamesTheRow(float bad)
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        series[40] = bad;

        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(ForecasterTestOptions.Small()).Fit(TestData.AsView(ml, series)));

        Assert.Contains("row 40", ex.Message);
        Assert.Contains("'Value'", ex.Message);
    }

    [Fact]
    public void SeriesShorterThanWindowPlusHorizonNamesTheSizes()
    {
        var ml = new MLContext(1);

        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(ForecasterTestOptions.Small()).Fit(TestData.AsView(ml, new float[14])));

        Assert.Contains("14 values", ex.Message);
        Assert.Contains("12 + 3 = 15", ex.Message);
    }

    [Theory]
    [InlineData(0, 3, "Window")]
    [InlineData(-1, 3, "Window")]
    [InlineData(12, 0, "Horizon")]
    [InlineData(12, -2, "Horizon")]
    public void NonPositiveWindowOrHorizonIsRejectedWhenTheTrainerIsCreated(int window, int horizon, string option)
    {
        var options = ForecasterTestOptions.Small();
        options.Window = window;
        options.Horizon = horizon;

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Rnn().Forecaster(options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains(option, ex.Message);
    }

    [Theory]
    [InlineData(nameof(ForecasterOptions.HiddenSize), 0)]
    [InlineData(nameof(ForecasterOptions.NumberOfLayers), 0)]
    [InlineData(nameof(ForecasterOptions.Epochs), 0)]
    [InlineData(nameof(ForecasterOptions.BatchSize), 0)]
    [InlineData(nameof(ForecasterOptions.Dropout), 1.0)]
    [InlineData(nameof(ForecasterOptions.LearningRate), 0.0)]
    [InlineData(nameof(ForecasterOptions.ValidationFraction), 0.9)]
    [InlineData(nameof(ForecasterOptions.Patience), -1)]
    public void OutOfRangeOptionsAreNamed(string option, object value)
    {
        var options = ForecasterTestOptions.Small();
        var property = typeof(ForecasterOptions).GetProperty(option)!;
        property.SetValue(options, Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture));

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Rnn().Forecaster(options));

        Assert.Equal(option, ex.ParamName);
    }

    [Fact]
    public void LogTransformOnNonPositiveSeriesSaysHowToFixIt()
    {
        var ml = new MLContext(1);
        var series = TestData.Nottem();
        series[100] = -3;

        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(ForecasterTestOptions.Small()).Fit(TestData.AsView(ml, series)));

        Assert.Contains("LogTransform", ex.Message);
        Assert.Contains("-3", ex.Message);
    }

    [Fact]
    public void CudaTrainingWithoutCudaThrowsNamingThePackage()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small();
        options.Device = ExecutionDevice.Cuda(0);

        var ex = Assert.Throws<InvalidOperationException>(() => ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers())));

        Assert.Contains("TorchSharp-cuda", ex.Message);
        Assert.Contains("Cpu or Auto", ex.Message);
    }

    [Fact]
    public void CudaInferenceWithoutTheCudaProviderThrowsNamingTheGpuPackage()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 1);
        options.InferenceDevice = ExecutionDevice.Cuda(0);

        var ex = Assert.Throws<InvalidOperationException>(() => ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers())));

        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", ex.Message);
    }

    [Fact]
    public void AutoDeviceFallsBackToCpuAndSaysSoInTheLog()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var options = ForecasterTestOptions.Small(epochs: 1);
        options.Device = ExecutionDevice.Auto;
        options.InferenceDevice = ExecutionDevice.Auto;

        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));

        Assert.Equal(ExecutionDevice.Cpu, model.InferenceDevice);
        lock (messages)
        {
            Assert.Contains(messages, m => m.Contains("training runs on the CPU", StringComparison.Ordinal));
            // Said once per model, not once per row or batch.
            Assert.Single(messages, m => m.Contains("inference runs on the CPU", StringComparison.Ordinal) && m.Contains("Microsoft.ML.OnnxRuntime.Gpu", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ForecastWithTooShortHistoryNamesTheWindow()
    {
        var ml = new MLContext(1);
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, TestData.AirPassengers()));

        var ex = Assert.Throws<ArgumentException>(() => model.Forecast(new float[5]));

        Assert.Contains("12", ex.Message);
        Assert.Contains("got 5", ex.Message);
    }

    [Fact]
    public void TransformOnDataWithoutSeriesOrWindowsNamesBoth()
    {
        var ml = new MLContext(1);
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, TestData.AirPassengers()));
        var other = ml.Data.LoadFromEnumerable(new[] { new TestData.OtherRow { Other = 1 } });

        var ex = Assert.Throws<ArgumentException>(() => model.Transform(other));

        Assert.Contains("'Value'", ex.Message);
        Assert.Contains("'Features'", ex.Message);
        Assert.Contains("'Other'", ex.Message);
    }

    [Fact]
    public void LogModelRejectsNonPositiveInputInTransformInsteadOfReturningNaN()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, series));
        var bad = (float[])series.Clone();
        bad[30] = 0;

        var seriesError = Assert.Throws<ArgumentException>(() => model.Transform(TestData.AsView(ml, bad)));
        var windows = ml.Rnn().CreateWindows(TestData.AsView(ml, bad), "Value", 12, 3);
        var windowsError = Assert.Throws<ArgumentException>(() => model.Transform(windows));
        var forecastError = Assert.Throws<ArgumentException>(() => model.Forecast(bad.AsSpan(20, 12)));

        Assert.Contains("position 30", seriesError.Message);
        Assert.Contains("row 19, slot 11", windowsError.Message); // window 19 = values 19..30
        Assert.Contains("position 10", forecastError.Message);
    }

    [Fact]
    public void LoadingAnMlNetModelWithoutAForecasterSaysSo()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var other = ml.Transforms.NormalizeMinMax("Value").Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(other, data.Schema, path);

            var ex = Assert.Throws<InvalidDataException>(() => ml.Rnn().LoadForecaster(path));

            Assert.Contains("no ONNX model", ex.Message);
            Assert.Contains(path, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadingANonModelFileIsAClearError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.zip");
        File.WriteAllText(path, "not a model");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => new MLContext(1).Rnn().LoadForecaster(path));
            Assert.Contains(path, ex.Message);
            Assert.Throws<FileNotFoundException>(() => new MLContext(1).Rnn().LoadForecaster(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
