using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers;

/// <summary>
/// Entry point of the recurrent-network estimators, hung off <see cref="MLContext"/> as <c>mlContext.Rnn()</c>
/// (third-party code cannot extend ML.NET's own catalogs).
/// </summary>
public sealed class RnnCatalog
{
    internal RnnCatalog(MLContext mlContext) => MLContext = mlContext;

    /// <summary>The owning context.</summary>
    public MLContext MLContext { get; }

    /// <summary>A forecaster configured by <paramref name="options"/>.</summary>
    public ForecasterTrainer Forecaster(ForecasterOptions options) => new(MLContext, options);

    /// <summary>
    /// A forecaster over the scalar float series in <paramref name="seriesColumnName"/> (one row per time step, in time order).
    /// </summary>
    /// <param name="seriesColumnName">The series column (Single).</param>
    /// <param name="window">Past values per forecast.</param>
    /// <param name="horizon">Future values forecast at once.</param>
    /// <param name="cell">Recurrent cell.</param>
    /// <param name="hiddenSize">Hidden units per layer.</param>
    /// <param name="epochs">Maximum epochs.</param>
    /// <param name="scoreColumnName">Output column (Vector&lt;Single, horizon&gt;).</param>
    public ForecasterTrainer Forecaster(string seriesColumnName, int window = 12, int horizon = 1, RecurrentCellKind cell = RecurrentCellKind.Lstm,
        int hiddenSize = 32, int epochs = 300, string scoreColumnName = "Score") =>
        Forecaster(new ForecasterOptions
        {
            SeriesColumnName = seriesColumnName,
            Window = window,
            Horizon = horizon,
            Cell = cell,
            HiddenSize = hiddenSize,
            Epochs = epochs,
            ScoreColumnName = scoreColumnName,
        });

    /// <summary>
    /// Cuts a series view (one row per time step) into a windows view: <paramref name="featureColumnName"/> = Vector&lt;Single, window&gt;,
    /// <paramref name="labelColumnName"/> = Vector&lt;Single, horizon&gt; (the values that follow), and <c>WindowStart</c> (row of the first value).
    /// </summary>
    /// <exception cref="ArgumentException">The column is missing or mistyped, holds NaN/infinity, or is shorter than window + horizon.</exception>
    public IDataView CreateWindows(IDataView series, string seriesColumnName, int window, int horizon,
        string featureColumnName = "Features", string labelColumnName = "Label") =>
        SeriesWindowing.CreateWindows(MLContext, series, seriesColumnName, window, horizon, featureColumnName, labelColumnName);

    /// <summary>Loads a forecaster saved with <c>mlContext.Model.Save</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file does not hold an MlNetRnn forecaster, is damaged, or its weights do not match their digest.</exception>
    public ForecasterTransformer LoadForecaster(string path) => ForecasterTransformer.Load(MLContext, path);

    /// <summary>A recurrent text classifier (Boolean label: binary; key label: multiclass) configured by <paramref name="options"/>.</summary>
    public TextClassifierTrainer TextClassifier(TextClassifierOptions options) => new(MLContext, options);

    /// <summary>A recurrent text classifier with the default options over <paramref name="textColumnName"/> and <paramref name="labelColumnName"/>.</summary>
    public TextClassifierTrainer TextClassifier(string textColumnName = "Text", string labelColumnName = "Label") =>
        new(MLContext, new TextClassifierOptions { TextColumnName = textColumnName, LabelColumnName = labelColumnName });

    /// <summary>Loads a text classifier saved with <c>mlContext.Model.Save</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file does not hold an MlNetRnn text classifier, is damaged, or its weights do not match their digest.</exception>
    public TextClassifierTransformer LoadTextClassifier(string path) => TextClassifierTransformer.Load(MLContext, path);

    /// <summary>
    /// A classifier over sequences of float feature vectors (a fixed-size Vector&lt;Single&gt; read as steps of
    /// <see cref="SequenceModelOptions.FeaturesPerStep"/> values): Boolean label → binary, key label → multiclass.
    /// </summary>
    public SequenceModelTrainer SequenceClassifier(SequenceModelOptions options) => new(MLContext, options, regression: false);

    /// <summary>A float-sequence classifier with the default options: each row of <paramref name="featureColumnName"/> is steps of <paramref name="featuresPerStep"/> values.</summary>
    public SequenceModelTrainer SequenceClassifier(string featureColumnName = "Features", string labelColumnName = "Label", int featuresPerStep = 1) =>
        SequenceClassifier(new SequenceModelOptions { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, FeaturesPerStep = featuresPerStep });

    /// <summary>A regressor (Single label) over sequences of float feature vectors, configured by <paramref name="options"/>.</summary>
    public SequenceModelTrainer SequenceRegressor(SequenceModelOptions options) => new(MLContext, options, regression: true);

    /// <summary>A float-sequence regressor with the default options: each row of <paramref name="featureColumnName"/> is steps of <paramref name="featuresPerStep"/> values.</summary>
    public SequenceModelTrainer SequenceRegressor(string featureColumnName = "Features", string labelColumnName = "Label", int featuresPerStep = 1) =>
        SequenceRegressor(new SequenceModelOptions { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, FeaturesPerStep = featuresPerStep });

    /// <summary>Loads a float-sequence classifier or regressor saved with <c>mlContext.Model.Save</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file does not hold an MlNetRnn float-sequence model, is damaged, or its weights do not match their digest.</exception>
    public SequenceModelTransformer LoadSequenceModel(string path) => SequenceModelTransformer.Load(MLContext, path);

    /// <summary>
    /// A sequence tagger (one tag per token: parts of speech, entities, per-step flags) configured by <paramref name="options"/>: a
    /// bidirectional LSTM over word embeddings and each token's spelling.
    /// </summary>
    public SequenceTaggerTrainer SequenceTagger(SequenceTaggerOptions options) => new(MLContext, options);

    /// <summary>A sequence tagger with the default options over <paramref name="tokensColumnName"/> (vector of String) and <paramref name="tagsColumnName"/> (one tag per token).</summary>
    public SequenceTaggerTrainer SequenceTagger(string tokensColumnName = "Tokens", string tagsColumnName = "Tags") =>
        SequenceTagger(new SequenceTaggerOptions { TokensColumnName = tokensColumnName, TagsColumnName = tagsColumnName });

    /// <summary>Loads a sequence tagger saved with <c>mlContext.Model.Save</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file does not hold an MlNetRnn tagger, is damaged, or its weights do not match their digest.</exception>
    public SequenceTaggerTransformer LoadSequenceTagger(string path) => SequenceTaggerTransformer.Load(MLContext, path);

    /// <summary>A character (or word) language model trainer configured by <paramref name="options"/>.</summary>
    public LanguageModelTrainer LanguageModel(LanguageModelOptions options) => new(MLContext, options);

    /// <summary>A character language model trainer with the default size over <paramref name="textColumnName"/>.</summary>
    public LanguageModelTrainer LanguageModel(string textColumnName = "Text") => new(MLContext, new LanguageModelOptions { TextColumnName = textColumnName });

    /// <summary>Loads a language model from its <c>.onnx</c> file (the file alone is the whole model).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is not an MlNetRnn language model, or its weights do not match their digest.</exception>
    public LanguageModel LoadLanguageModel(string path, ExecutionDevice? device = null) => LanguageModeling.LanguageModel.Load(path, device);

    /// <summary>
    /// Reads an <c>.onnx</c> file exported by this library back into TorchSharp-named weights and its description, for example to
    /// continue training a forecaster with <see cref="ForecasterTrainer.Fit(IDataView, ImportedRecurrentModel)"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a complete, unmodified model exported by MlNetRnn.</exception>
    public ImportedRecurrentModel ImportOnnx(string path) => OnnxModelImporter.ImportFile(path);

    /// <summary>
    /// Compares the forecast column with the actual-values column of scored windows (both Vector&lt;Single, horizon&gt;).
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or the two sizes differ.</exception>
    public ForecastMetrics EvaluateForecast(IDataView scored, string labelColumnName = "Label", string scoreColumnName = "Score")
    {
        ArgumentNullException.ThrowIfNull(scored);
        var score = SchemaValidation.RequireColumn(scored.Schema, scoreColumnName, "score");
        if (score.Type is not VectorDataViewType { Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"The score column '{scoreColumnName}' must be a fixed-size vector of Single, but it is {SchemaValidation.Describe(score.Type)}.");
        int horizon = vector.Size;
        var all = DenseBatchReader.ReadAll(scored, scoreColumnName, horizon, labelColumnName, horizon);
        if (all.Rows == 0)
            throw new ArgumentException("There are no scored rows to evaluate.");
        return ForecastMetrics.Compute(all.Features, all.Labels!, horizon);
    }
}

/// <summary>Adds <c>Rnn()</c> to <see cref="MLContext"/>.</summary>
public static class RnnMLContextExtensions
{
    /// <summary>The recurrent-network catalog: forecasters, windowing and evaluation.</summary>
    public static RnnCatalog Rnn(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new RnnCatalog(mlContext);
    }
}
