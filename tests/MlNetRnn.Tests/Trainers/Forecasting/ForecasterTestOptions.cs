
namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Small, fast forecaster settings for tests (real training, few epochs).</summary>
internal static class ForecasterTestOptions
{
    public static ForecasterOptions Small(RecurrentCellKind cell = RecurrentCellKind.Gru, int epochs = 4) => new()
    {
        SeriesColumnName = "Value",
        Cell = cell,
        HiddenSize = 8,
        Window = 12,
        Horizon = 3,
        Epochs = epochs,
        BatchSize = 32,
        LogTransform = true,
        Seed = 7,
    };
}
