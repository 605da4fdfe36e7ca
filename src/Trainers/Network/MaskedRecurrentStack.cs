using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Network;

/// <summary>
/// A recurrent stack that runs right-padded batches without packing and is still exact: one single-layer, one-direction module per
/// layer and direction; the forward direction reads the padded rows as they are (padding only follows a row's last word, so the
/// valid steps never see it), and the backward direction reads each row with its own words reversed in place (padding stays at the
/// end), so it starts at the row's last word, as a packed sequence would. Its outputs are reversed back the same way. Outputs at
/// padded steps are not zero (the caller masks them); the final states are read at each row's own last step.
/// </summary>
/// <remarks>
/// Why: libtorch runs packed sequences step by step with a shrinking batch, about 2.4× the cost of a padded pass for an LSTM on the
/// CPU. Parameter names are internal (<c>cells.{layer·directions + direction}.weight_ih_l0</c>); <see cref="StandardName"/> maps them
/// to the stack's PyTorch names (<c>weight_ih_l{layer}[_reverse]</c>) that the exporter and importer use.
/// </remarks>
internal sealed class MaskedRecurrentStack : nn.Module
{
    private readonly ModuleList<nn.Module> cells;
    private readonly RecurrentArchitecture _architecture;
    private readonly double _dropout;

    public MaskedRecurrentStack(RecurrentArchitecture architecture, double dropout) : base(nameof(MaskedRecurrentStack))
    {
        _architecture = architecture;
        _dropout = architecture.NumLayers > 1 ? dropout : 0;
        cells = new ModuleList<nn.Module>();
        for (int layer = 0; layer < architecture.NumLayers; layer++)
        {
            for (int direction = 0; direction < architecture.NumDirections; direction++)
            {
                long input = architecture.LayerInputSize(layer), hidden = architecture.HiddenSize;
                cells.Add(architecture.Cell switch
                {
                    RecurrentCellKind.Lstm => nn.LSTM(input, hidden, 1, bias: architecture.HasBias, batchFirst: true),
                    RecurrentCellKind.Gru => nn.GRU(input, hidden, 1, bias: architecture.HasBias, batchFirst: true),
                    _ => nn.RNN(input, hidden, 1, architecture.Cell == RecurrentCellKind.RnnRelu ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh,
                        bias: architecture.HasBias, batchFirst: true),
                });
            }
        }
        RegisterComponents();
    }

    /// <summary>Prefix of this stack's parameters inside the network (the field name).</summary>
    public const string Prefix = "masked.";

    /// <summary>The PyTorch stack name (<c>rnn.weight_ih_l1_reverse</c>) of an internal parameter name (<c>masked.cells.3.weight_ih_l0</c>), or null for another parameter.</summary>
    public string? StandardName(string internalName)
    {
        const string cellsPrefix = Prefix + "cells.";
        if (!internalName.StartsWith(cellsPrefix, StringComparison.Ordinal))
            return null;
        var rest = internalName[cellsPrefix.Length..];
        int dot = rest.IndexOf('.');
        int index = int.Parse(rest[..dot], System.Globalization.CultureInfo.InvariantCulture);
        string kind = rest[(dot + 1)..^"_l0".Length];
        int d = _architecture.NumDirections;
        return "rnn." + RecurrentArchitecture.ParameterName(kind, index / d, index % d == 1);
    }

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>[batch, steps, input]</c> whose row r is valid up to <c>lengths[r]</c>.
    /// Returns the last layer's outputs <c>[batch, steps, D·H]</c> (undefined at padded steps) and the final hidden states
    /// <c>[layers·D, batch, H]</c>. LSTM cell states are not returned: a one-layer module only exposes its hidden state per step, and
    /// the classifier that trains this way never reads them.
    /// </summary>
    public (Tensor Sequence, Tensor Hidden) Run(Tensor x, Tensor lengths)
    {
        using var scope = torch.NewDisposeScope();
        long batch = x.shape[0], steps = x.shape[1];
        var device = x.device;
        var lengthsOnDevice = lengths.to(ScalarType.Int64).to(device);
        // reverse[r, t] = lengths[r] - 1 - t for valid steps, t for padded ones: an involution that flips each row's words in place.
        var positions = torch.arange(steps, device: device).unsqueeze(0).expand(batch, steps);
        var flipped = lengthsOnDevice.unsqueeze(1).sub(1).sub(positions);
        var reverse = torch.where(flipped.ge(0), flipped, positions);
        var last = lengthsOnDevice.sub(1).view(batch, 1, 1);
        var hidden = new List<Tensor>();
        int d = _architecture.NumDirections;
        var input = x;
        for (int layer = 0; layer < _architecture.NumLayers; layer++)
        {
            if (layer > 0 && _dropout > 0)
                input = nn.functional.dropout(input, _dropout, training);
            var outputs = new List<Tensor>();
            for (int direction = 0; direction < d; direction++)
            {
                bool backward = direction == 1;
                var source = backward ? Gather(input, reverse) : input;
                var y = RunCell(cells[layer * d + direction], source);
                // The state after a row's last valid step: the forward state at its last word, the backward state after its first word.
                hidden.Add(y.gather(1, last.expand(batch, 1, y.shape[2])).squeeze(1));
                outputs.Add(backward ? Gather(y, reverse) : y);
            }
            input = d == 1 ? outputs[0] : torch.cat(outputs, 2);
        }
        var finalHidden = torch.stack(hidden, 0);
        return (input.MoveToOuterDisposeScope(), finalHidden.MoveToOuterDisposeScope());
    }

    private static Tensor Gather(Tensor values, Tensor index) =>
        values.gather(1, index.unsqueeze(2).expand(values.shape[0], values.shape[1], values.shape[2]));

    private static Tensor RunCell(nn.Module cell, Tensor x) => cell switch
    {
        GRU gru => gru.call(x, null).Item1,
        RNN rnn => rnn.call(x, null).Item1,
        LSTM lstm => lstm.call(x, null).Item1,
        _ => throw new InvalidOperationException("Unknown recurrent module."),
    };
}
