using TorchSharp;
using TorchSharp.Modules;

namespace MlNetRnn.Trainers.Training;

/// <summary>Rescales the gradients so their global L2 norm is at most <see cref="MaxNorm"/> (libtorch's <c>clip_grad_norm_</c>).</summary>
internal sealed class GradientClipping(double maxNorm)
{
    /// <summary>The norm limit; 0 or less disables clipping.</summary>
    public double MaxNorm { get; } = maxNorm;

    /// <summary>Clips in place; returns the norm before clipping (NaN when disabled).</summary>
    public double Apply(IReadOnlyList<Parameter> parameters) =>
        MaxNorm > 0 ? torch.nn.utils.clip_grad_norm_(parameters, MaxNorm) : double.NaN;
}

/// <summary>A wall-clock budget for a run, counted from the run's start plus whatever a resumed run had already used.</summary>
internal sealed class TrainingTimeBudget(TimeSpan budget)
{
    /// <summary>The budget.</summary>
    public TimeSpan Budget { get; } = budget;

    /// <summary>Whether <paramref name="elapsed"/> has reached the budget.</summary>
    public bool IsExhausted(TimeSpan elapsed) => elapsed >= Budget;
}
