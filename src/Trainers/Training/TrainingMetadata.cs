using System.Globalization;
using System.Reflection;
using System.Text.Json;
using TorchSharp;

namespace MlNetRnn.Trainers.Training;

/// <summary>What a fit records about its training, as written into and read back from a model's <c>training.*</c> metadata.</summary>
/// <param name="History">Losses per epoch, the kept epoch, early stop, duration, refit losses.</param>
/// <param name="Seed">The seed the fit used (drawn from the MLContext when the options had none).</param>
/// <param name="Device">Where it trained (<c>cpu</c> or <c>cuda:N</c>).</param>
/// <param name="DeviceNote">Why training ran elsewhere than asked, or null.</param>
/// <param name="ItemsPerSecond">Training throughput in tokens per second (language models), or null.</param>
internal sealed record TrainingRecord(TrainingHistory History, int Seed, string Device, string? DeviceNote = null, double? ItemsPerSecond = null);

/// <summary>The one reader and writer of the <c>training.*</c> metadata every fitted model carries.</summary>
internal static class TrainingMetadata
{
    public const string EpochsRun = "training.epochs_run";
    public const string BestEpoch = "training.best_epoch";
    public const string TrainLoss = "training.train_loss";
    public const string ValidationLoss = "training.validation_loss";
    public const string RefitTrainLoss = "training.refit_train_loss";
    public const string StoppedEarly = "training.stopped_early";
    public const string Seconds = "training.seconds";
    public const string Seed = "training.seed";
    public const string Device = "training.device";
    public const string DeviceNote = "training.device_note";
    public const string TokensPerSecond = "training.tokens_per_second";
    public const string ResumedEpochs = "training.resumed_epochs";

    /// <summary>The metadata entries of a record, plus the TorchSharp version that trained it.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Write(TrainingRecord record)
    {
        static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var h = record.History;
        yield return new(Device, record.Device);
        if (record.DeviceNote is not null)
            yield return new(DeviceNote, record.DeviceNote);
        yield return new(OnnxMetadataKeys.TorchSharpVersion, TorchSharpVersion);
        yield return new(EpochsRun, h.EpochsRun.ToString(CultureInfo.InvariantCulture));
        yield return new(BestEpoch, h.BestEpoch.ToString(CultureInfo.InvariantCulture));
        yield return new(TrainLoss, JsonSerializer.Serialize(h.TrainLoss));
        yield return new(ValidationLoss, JsonSerializer.Serialize(h.ValidationLoss));
        yield return new(RefitTrainLoss, JsonSerializer.Serialize(h.RefitTrainLoss));
        yield return new(StoppedEarly, h.StoppedEarly ? "true" : "false");
        yield return new(Seconds, N(h.Duration.TotalSeconds));
        yield return new(Seed, record.Seed.ToString(CultureInfo.InvariantCulture));
        if (h.ResumedEpochs > 0)
            yield return new(ResumedEpochs, h.ResumedEpochs.ToString(CultureInfo.InvariantCulture));
        if (record.ItemsPerSecond is { } rate)
            yield return new(TokensPerSecond, N(rate));
    }

    /// <summary>The training history in a model's metadata, or null for a model exported without one.</summary>
    /// <exception cref="InvalidDataException">An entry is malformed (the message names it).</exception>
    public static TrainingHistory? ReadHistory(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(TrainLoss, out var train))
            return null;
        return new TrainingHistory(Losses(metadata, TrainLoss, train), Losses(metadata, ValidationLoss), Integer(metadata, BestEpoch) ?? 0,
            metadata.TryGetValue(StoppedEarly, out var stopped) && stopped == "true", TimeSpan.FromSeconds(Number(metadata, Seconds) ?? 0),
            Losses(metadata, RefitTrainLoss), Integer(metadata, ResumedEpochs) ?? 0);
    }

    /// <summary>The training device recorded in the metadata, or null.</summary>
    public static string? ReadDevice(IReadOnlyDictionary<string, string> metadata) => metadata.TryGetValue(Device, out var d) ? d : null;

    /// <summary>The recorded training throughput (tokens per second), or null.</summary>
    /// <exception cref="InvalidDataException">The entry is not a number.</exception>
    public static double? ReadTokensPerSecond(IReadOnlyDictionary<string, string> metadata) => Number(metadata, TokensPerSecond);

    /// <summary>The informational version of the TorchSharp assembly that trained the model.</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static double[] Losses(IReadOnlyDictionary<string, string> metadata, string key, string? json = null)
    {
        if (json is null && !metadata.TryGetValue(key, out json))
            return Array.Empty<double>();
        try
        {
            return JsonSerializer.Deserialize<double[]>(json) ?? Array.Empty<double>();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The model metadata '{key}' is not a JSON array of numbers ({ex.Message}).", ex);
        }
    }

    private static int? Integer(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v)
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i
                : throw new InvalidDataException($"The model metadata '{key}' is '{v}', not an integer.")
            : null;

    private static double? Number(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v)
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d
                : throw new InvalidDataException($"The model metadata '{key}' is '{v}', not a number.")
            : null;
}
