using System.Globalization;

namespace MlNetRnn.Trainers.Training;

/// <summary>Stops a run whose loss is no longer a finite number, with a message that names the epoch, the loss and what to change.</summary>
internal static class DivergenceGuard
{
    /// <exception cref="TrainingDivergedException">A loss is NaN or infinite.</exception>
    public static void Check(int epoch, string lossName, double loss, double learningRate, double gradientClipNorm)
    {
        if (double.IsFinite(loss))
            return;
        string clip = "turn gradient clipping on (GradientClipNorm, for example 1)";
        if (gradientClipNorm > 0)
            clip = string.Create(CultureInfo.InvariantCulture, $"lower the gradient clip norm (now {gradientClipNorm:G4})");
        throw new TrainingDivergedException(epoch, loss, string.Create(CultureInfo.InvariantCulture,
            $"Training diverged at epoch {epoch}: the {lossName} loss is {loss}. Lower the learning rate (now {learningRate:G4}), {clip}, or check the data for extreme values."));
    }
}
