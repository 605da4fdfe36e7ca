using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015) over a network's parameters, computing exactly what TorchSharp 0.107's <c>torch.optim.Adam</c> computes
/// (the same kernels in the same order, so the weights agree bit for bit on the CPU), with two differences that matter here:
/// every scalar operand is an explicit <see cref="Scalar"/> kept alive until its native call returns, and the state is ours to
/// checkpoint.
/// </summary>
/// <remarks>
/// Why not TorchSharp's own: its <c>step</c> passes implicit <see cref="Scalar"/> temporaries (<c>value: -step_size</c>,
/// <c>alpha: 1 - beta1</c>) whose finalizer may free the native scalar while libtorch still reads it once the JIT considers the
/// wrapper dead; under GC pressure this fails at random inside <c>addcdiv_</c> (<c>c10/core/Scalar.h</c> asserts). A
/// <c>using</c> declaration keeps each wrapper reachable until the end of its scope.
/// </remarks>
internal sealed class AdamOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _firstMoments;
    private readonly Tensor[] _secondMoments;
    private readonly Tensor?[] _rateScales;

    /// <param name="parameters">The parameters to update, in a fixed order (the order checkpoints store their moments in).</param>
    /// <param name="learningRate">Initial learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        _firstMoments = _parameters.Select(p => torch.zeros_like(p)).ToArray();
        _secondMoments = _parameters.Select(p => torch.zeros_like(p)).ToArray();
        _rateScales = new Tensor?[_parameters.Length];
    }

    /// <summary>
    /// Multiplies the update of parameter <paramref name="index"/> by <paramref name="scale"/> (broadcast against it) from the next
    /// <see cref="Step"/> on; null restores the full rate. The moments keep accumulating where the scale is 0, so an unfrozen row
    /// starts with warm statistics. The caller owns the tensor.
    /// </summary>
    public void SetRateScale(int index, Tensor? scale) => _rateScales[index] = scale;

    /// <summary>The rate the next <see cref="Step"/> uses; schedules change it between epochs.</summary>
    public double LearningRate { get; set; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator guard.</summary>
    public double Epsilon { get; }

    /// <summary>Updates taken so far (the bias corrections depend on it).</summary>
    public long Steps { get; private set; }

    /// <summary>The parameters, in update order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Sets every parameter's gradient to zero (kept allocated, as TorchSharp's optimizers do).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One Adam update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Steps++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, Steps);
        double biasCorrection2 = 1 - Math.Pow(Beta2, Steps);
        using Scalar beta1 = Beta1.ToScalar();
        using Scalar oneMinusBeta1 = (1 - Beta1).ToScalar();
        using Scalar beta2 = Beta2.ToScalar();
        using Scalar oneMinusBeta2 = (1 - Beta2).ToScalar();
        using Scalar rootBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        using Scalar epsilon = Epsilon.ToScalar();
        // TorchSharp's one-argument add_(Scalar) adds an implicit alpha of 1: pass our own.
        using Scalar one = 1.0.ToScalar();
        using Scalar negativeStepSize = (-(LearningRate / biasCorrection1)).ToScalar();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var grad = _parameters[i].grad;
            if (grad is null)
                continue;
            _firstMoments[i].mul_(beta1).add_(grad, alpha: oneMinusBeta1);
            _secondMoments[i].mul_(beta2).addcmul_(grad, grad, value: oneMinusBeta2);
            var denominator = _secondMoments[i].sqrt().div_(rootBiasCorrection2).add_(epsilon, one);
            if (_rateScales[i] is { } scale)
                _parameters[i].add_(_firstMoments[i].div(denominator).mul_(scale), alpha: negativeStepSize);
            else
                _parameters[i].addcdiv_(_firstMoments[i], denominator, value: negativeStepSize);
        }
    }

    /// <summary>The moments as named tensors (for checkpoints): <c>m.{i}</c> and <c>v.{i}</c> in parameter order.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            yield return ($"m.{i}", _firstMoments[i]);
            yield return ($"v.{i}", _secondMoments[i]);
        }
    }

    /// <summary>Restores the step count and the moments written by <see cref="StateTensors"/>.</summary>
    /// <exception cref="InvalidDataException">A moment is missing or has another shape.</exception>
    public void LoadState(long steps, IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in StateTensors())
        {
            if (!tensors.TryGetValue(name, out var source) || !source.shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"The optimizer state '{name}' is missing or has another shape than the network's parameter.");
            target.copy_(source);
        }
        Steps = steps;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _firstMoments.Concat(_secondMoments))
            t.Dispose();
    }
}
