using MlNetRnn.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers;

/// <summary>
/// A recurrent stack (LSTM, GRU or RNN; 1..N layers; uni- or bidirectional) followed by a linear head on
/// the last layer's final hidden states (forward, then backward), mapping <c>[batch, seq, features]</c> to <c>[batch, outputs]</c>.
/// </summary>
/// <remarks>
/// Field names are the state-dict contract: parameters are <c>rnn.weight_ih_l0</c>, ..., <c>head.weight</c>, <c>head.bias</c>,
/// which is what the ONNX exporter reads.
/// </remarks>
internal sealed class RecurrentRegressionNetwork : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module rnn;
    private readonly Linear head;
    private readonly RecurrentArchitecture _architecture;

    public RecurrentRegressionNetwork(RecurrentArchitecture architecture, int outputs, double dropout)
        : base(nameof(RecurrentRegressionNetwork))
    {
        architecture.Validate();
        _architecture = architecture;
        // Inter-layer dropout only exists between stacked layers; libtorch warns when it is set on one layer.
        double interLayerDropout = architecture.NumLayers > 1 ? dropout : 0.0;
        rnn = architecture.Cell switch
        {
            RecurrentCellKind.Lstm => nn.LSTM(architecture.InputSize, architecture.HiddenSize, architecture.NumLayers,
                bias: architecture.HasBias, batchFirst: true, dropout: interLayerDropout, bidirectional: architecture.Bidirectional),
            RecurrentCellKind.Gru => nn.GRU(architecture.InputSize, architecture.HiddenSize, architecture.NumLayers,
                bias: architecture.HasBias, batchFirst: true, dropout: interLayerDropout, bidirectional: architecture.Bidirectional),
            _ => nn.RNN(architecture.InputSize, architecture.HiddenSize, architecture.NumLayers,
                architecture.Cell == RecurrentCellKind.RnnRelu ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh,
                bias: architecture.HasBias, batchFirst: true, dropout: interLayerDropout, bidirectional: architecture.Bidirectional),
        };
        head = nn.Linear(architecture.OutputSize, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        Tensor finalHidden;
        switch (rnn)
        {
            case LSTM lstm:
            {
                var (output, h, c) = lstm.call(input);
                // Only h_n feeds the head; release the rest now rather than at the end of a dispose scope (or never).
                output.Dispose();
                c.Dispose();
                finalHidden = h;
                break;
            }
            case GRU gru:
            {
                var (output, h) = gru.call(input);
                output.Dispose();
                finalHidden = h;
                break;
            }
            case RNN plain:
            {
                var (output, h) = plain.call(input);
                output.Dispose();
                finalHidden = h;
                break;
            }
            default:
                throw new InvalidOperationException("Unknown recurrent module.");
        }
        using var hn = finalHidden;
        // h_n is [layers·directions, batch, hidden]; the head reads the last layer's directions side by side.
        int d = _architecture.NumDirections;
        long batch = input.shape[0];
        using var last = hn.narrow(0, (_architecture.NumLayers - 1) * d, d);
        using var features = last.transpose(0, 1).reshape(batch, d * _architecture.HiddenSize);
        return head.call(features);
    }

    /// <summary>Copies every parameter to CPU float32 arrays under its state-dict name.</summary>
    public WeightSet ExportWeights()
    {
        var tensors = new List<NamedTensor>();
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            // The intermediate detach/cpu/to/contiguous handles are native; the scope releases all of them.
            using var scope = torch.NewDisposeScope();
            var cpu = parameter.detach().cpu().to(ScalarType.Float32).contiguous();
            tensors.Add(new NamedTensor(name, cpu.shape, cpu.data<float>().ToArray()));
        }
        return new WeightSet(tensors);
    }

    /// <summary>Overwrites every parameter with the same-named tensor of <paramref name="weights"/> (shapes must match).</summary>
    /// <exception cref="ArgumentException">A parameter is missing from the set or has another shape.</exception>
    public void LoadWeights(WeightSet weights)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            var source = weights.Get(name, parameter.shape);
            using var values = torch.tensor(source.Data, source.Shape, dtype: parameter.dtype, device: parameter.device);
            parameter.copy_(values);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rnn.Dispose();
            head.Dispose();
        }
        base.Dispose(disposing);
    }
}
