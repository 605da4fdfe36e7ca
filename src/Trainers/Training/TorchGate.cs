namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Serialises the parts of training that use libtorch's process-wide random generator (weight
/// initialisation, dropout), so concurrent fits in one process stay reproducible for a given seed.
/// </summary>
internal static class TorchGate
{
    public static readonly object Lock = new();
}
