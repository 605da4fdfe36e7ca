
namespace MlNetRnn.Trainers.Forecasting;

/// <summary>Checks that an imported model can seed training with given options, naming every mismatch.</summary>
internal static class WarmStart
{
    public static void Check(ForecasterOptions options, ImportedRecurrentModel model)
    {
        var f = model.Forecasting
            ?? throw new ArgumentException($"The imported model is a '{model.Task}' model, not a forecaster; only a forecaster can seed a forecaster.", nameof(model));
        var a = f.Architecture;
        var differences = new List<string>();
        void Compare<T>(string name, T option, T imported)
        {
            if (!EqualityComparer<T>.Default.Equals(option, imported))
                differences.Add($"{name}: options {option}, model {imported}");
        }
        Compare(nameof(options.Cell), options.Cell, a.Cell);
        Compare(nameof(options.HiddenSize), options.HiddenSize, a.HiddenSize);
        Compare(nameof(options.NumberOfLayers), options.NumberOfLayers, a.NumLayers);
        Compare(nameof(options.Bidirectional), options.Bidirectional, a.Bidirectional);
        // The forecaster's cells always have biases; a bias-free network cannot seed it.
        Compare("bias", true, a.HasBias);
        Compare(nameof(options.Window), options.Window, f.Window);
        Compare(nameof(options.NetworkWindow), options.NetworkWindowOrWindow, f.NetworkSteps);
        Compare(nameof(options.Horizon), options.Horizon, f.Horizon);
        Compare(nameof(options.RelativeToWindow), options.RelativeToWindow, f.RelativeToWindow);
        Compare(nameof(options.LogTransform), options.LogTransform, f.Scaler.Log);
        Compare(nameof(options.EnsembleSize), options.EnsembleSize, f.Members);
        Compare("seasonal-naive reference season", options.SeasonalMembers > 0 ? options.Season : 0, f.ReferenceSeason);
        Compare("members correcting seasonal naive", options.SeasonalMembers, f.SeasonalMemberCount);
        if (differences.Count > 0)
            throw new ArgumentException("The imported forecaster does not match the trainer's options (" + string.Join("; ", differences) +
                "). Set the options to the model's values (ImportedRecurrentModel.Forecasting) to continue training it.", nameof(model));
    }
}
