namespace MlNetRnn.Trainers;

/// <summary>Training produced a NaN or infinite loss.</summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int epoch, double loss, string message) : base(message)
    {
        Epoch = epoch;
        Loss = loss;
    }

    /// <summary>1-based epoch whose loss was not finite.</summary>
    public int Epoch { get; }

    /// <summary>The loss that was not finite.</summary>
    public double Loss { get; }
}
