using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.utils.rnn;

namespace MlNetRnn.Trainers.Network;

/// <summary>What one forward pass of a <see cref="RecurrentSequenceNetwork"/> returns; the caller disposes it.</summary>
/// <param name="Output">The head's value before any sigmoid/softmax: <c>[batch, outputs]</c>, or <c>[batch, seq, outputs]</c> for every-step heads.</param>
/// <param name="FinalHidden">Final hidden states <c>[layers·directions, batch, hidden]</c>.</param>
/// <param name="FinalCell">Final LSTM cell states (same layout), or null for GRU/RNN.</param>
internal sealed record SequenceNetworkOutput(Tensor Output, Tensor FinalHidden, Tensor? FinalCell) : IDisposable
{
    public void Dispose()
    {
        Output.Dispose();
        FinalHidden.Dispose();
        FinalCell?.Dispose();
    }
}

/// <summary>
/// The TorchSharp twin of every graph <see cref="SequenceOnnxExporter"/> and <see cref="ForecastingOnnxExporter"/> write:
/// optional embedding, an LSTM/GRU/RNN stack (1..N layers, uni- or bidirectional), and a linear head on the final states,
/// on every step, or on the mean over valid steps. Variable-length rows go through packed sequences, so padding never
/// reaches a state. In-graph scaling and the head's sigmoid/softmax are not part of the module (see <see cref="Activate"/>).
/// </summary>
/// <remarks>
/// Field names are the state-dict contract the exporter and importer use: <c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, ...,
/// <c>head.weight</c>, <c>head.bias</c>.
/// </remarks>
internal sealed class RecurrentSequenceNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Embedding? embedding;
    private readonly nn.Module? rnn;
    private readonly MaskedRecurrentStack? masked;
    private readonly Linear head;
    private readonly Embedding? wide;
    private readonly CharacterConvolutionModule? chars;
    private readonly SequenceModelDescription _description;
    private readonly double _inputDropout;

    /// <param name="description">Shape of the network (scaling and lengths/state flags only matter to the exported graph).</param>
    /// <param name="dropout">Dropout between stacked layers while training.</param>
    /// <param name="inputDropout">Dropout on the stack's input (the embedded tokens and their spelling features) while training; 0 for none.</param>
    /// <param name="maskedPadding">
    /// Run variable-length batches padded, with each row's steps masked (<see cref="MaskedRecurrentStack"/>), instead of packed:
    /// the same values, faster on the CPU. Such a network takes no initial state and returns no LSTM cell state.
    /// </param>
    public RecurrentSequenceNetwork(SequenceModelDescription description, double dropout = 0, bool maskedPadding = false, double inputDropout = 0)
        : base(nameof(RecurrentSequenceNetwork))
    {
        _inputDropout = inputDropout;
        var architecture = description.Architecture;
        architecture.Validate();
        _description = description;
        if (description.UsesEmbedding)
            embedding = nn.Embedding(description.VocabularySize, description.EmbeddingSize);
        if (description.CharacterFeatures is { } characterFeatures)
            chars = new CharacterConvolutionModule(characterFeatures);
        // Inter-layer dropout only exists between stacked layers; libtorch warns when it is set on one layer.
        double interLayerDropout = architecture.NumLayers > 1 ? dropout : 0.0;
        if (maskedPadding)
            masked = new MaskedRecurrentStack(architecture, dropout);
        else
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
        head = nn.Linear(description.HeadInputSize, description.OutputSize);
        if (description.WideTokens)
        {
            // Zeros: the wide part starts as no opinion and learns word by word next to the recurrent head.
            wide = nn.Embedding(description.VocabularySize, description.OutputSize);
            using var noGrad = torch.no_grad();
            wide.weight!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>A network for float features <c>[batch, seq, InputSize]</c> with a linear head on the final states.</summary>
    public RecurrentSequenceNetwork(RecurrentArchitecture architecture, int outputs, double dropout)
        : this(new SequenceModelDescription(architecture, outputs), dropout)
    {
    }

    /// <summary>The network's shape.</summary>
    public SequenceModelDescription Description => _description;

    /// <summary>The head's value only (<see cref="SequenceNetworkOutput.Output"/>), for full-length rows and zero initial state.</summary>
    public override Tensor forward(Tensor input)
    {
        var result = Forward(input);
        result.FinalHidden.Dispose();
        result.FinalCell?.Dispose();
        return result.Output;
    }

    /// <summary>
    /// One pass over a batch.
    /// </summary>
    /// <param name="input">Float features <c>[batch, seq, InputSize]</c>, or int64 token ids <c>[batch, seq]</c> with an embedding.</param>
    /// <param name="lengths">Valid steps per row <c>[batch]</c> (int64, on the CPU, each in 1..seq), or null when every row is full.</param>
    /// <param name="initialHidden">Initial hidden state <c>[layers·directions, batch, hidden]</c>, or null for zeros.</param>
    /// <param name="initialCell">Initial LSTM cell state, or null for zeros.</param>
    /// <param name="characters">Character ids <c>[batch, seq, chars]</c> (int64) of each token, required with character features.</param>
    public SequenceNetworkOutput Forward(Tensor input, Tensor? lengths = null, Tensor? initialHidden = null, Tensor? initialCell = null, Tensor? characters = null)
    {
        using var scope = torch.NewDisposeScope();
        var arch = _description.Architecture;
        long batch = input.shape[0], steps = input.shape[1];
        var x = embedding is null ? input : embedding.call(input);
        if (chars is not null)
            x = torch.cat(new[] { x, chars.call(characters ?? throw new ArgumentNullException(nameof(characters), "This network reads character features; pass the tokens' character ids.")) }, 2);
        if (_inputDropout > 0 && training)
            x = nn.functional.dropout(x, _inputDropout, training);
        bool needSequence = _description.Pooling != SequencePooling.LastStep;

        Tensor? sequence = null;
        Tensor hn;
        Tensor? cn = null;
        if (masked is not null)
        {
            if (initialHidden is not null || initialCell is not null)
                throw new NotSupportedException("A network that trains on masked padding starts from zero states; it takes no initial state.");
            (sequence, hn) = masked.Run(x, lengths ?? torch.full(new long[] { batch }, steps, dtype: ScalarType.Int64));
        }
        else if (lengths is null)
        {
            (sequence, hn, cn) = Run(x, initialHidden, initialCell);
        }
        else
        {
            // Packing (not padding) is what makes the states PyTorch's and ONNX's sequence_lens agree on: each row stops at its own length.
            var packed = pack_padded_sequence(x, lengths, batch_first: true, enforce_sorted: false);
            var (packedOut, h, c) = RunPacked(packed, initialHidden, initialCell);
            hn = h;
            cn = c;
            if (needSequence)
                (sequence, _) = pad_packed_sequence(packedOut, batch_first: true, total_length: steps);
            packed.Dispose();
            packedOut.Dispose();
        }

        Tensor output;
        switch (_description.Pooling)
        {
            case SequencePooling.EveryStep:
                output = head.call(sequence!);
                break;
            case SequencePooling.Mean:
            {
                // Padded steps are masked out: packing leaves zeros there, the masked stack leaves whatever its cells computed.
                var mean = lengths is null
                    ? sequence!.mean(new long[] { 1 })
                    : sequence!.mul(ValidSteps(lengths, steps, sequence).unsqueeze(2).to(sequence.dtype)).sum(1).div(lengths.to(sequence.dtype).to(sequence.device).unsqueeze(1));
                output = head.call(mean);
                break;
            }
            case SequencePooling.MeanMax:
            {
                Tensor mean, max;
                if (lengths is null)
                {
                    mean = sequence!.mean(new long[] { 1 });
                    max = sequence.amax(new long[] { 1 });
                }
                else
                {
                    var valid = ValidSteps(lengths, steps, sequence!);
                    mean = sequence!.mul(valid.unsqueeze(2).to(sequence.dtype)).sum(1).div(lengths.to(sequence.dtype).to(sequence.device).unsqueeze(1));
                    // Padded steps come back as zeros, which would win over an all-negative unit; they must never be the maximum.
                    // The fill value is a Scalar held until the call returns: an implicit temporary can be finalised while libtorch
                    // still reads it (seen once as a crash in Scalar::toFloat after hours of training).
                    using Scalar lowest = float.MinValue.ToScalar();
                    max = sequence.masked_fill(valid.logical_not().unsqueeze(2), lowest).amax(new long[] { 1 });
                }
                output = head.call(torch.cat(new[] { mean, max }, 1));
                break;
            }
            default:
            {
                // h_n is [layers·directions, batch, hidden]; the head reads the last layer's directions side by side.
                int d = arch.NumDirections;
                var last = hn.narrow(0, (arch.NumLayers - 1) * d, d);
                output = head.call(last.transpose(0, 1).reshape(batch, d * arch.HiddenSize));
                break;
            }
        }
        if (wide is not null)
        {
            // The wide part: the mean of each valid token's learned weights (a linear bag-of-words model), added to the logits.
            var tokenWeights = wide.call(input);
            var mean = lengths is null
                ? tokenWeights.mean(new long[] { 1 })
                : tokenWeights.mul(torch.arange(steps, device: tokenWeights.device).unsqueeze(0).lt(lengths.to(tokenWeights.device).unsqueeze(1)).unsqueeze(2).to(tokenWeights.dtype))
                    .sum(1).div(lengths.to(tokenWeights.dtype).to(tokenWeights.device).unsqueeze(1));
            output = output.add(mean);
        }
        return new SequenceNetworkOutput(output.MoveToOuterDisposeScope(), hn.MoveToOuterDisposeScope(), cn?.MoveToOuterDisposeScope());
    }

    // [batch, steps] Boolean: step t of row r is within its length.
    private static Tensor ValidSteps(Tensor lengths, long steps, Tensor like) =>
        torch.arange(steps, device: like.device).unsqueeze(0).lt(lengths.to(like.device).unsqueeze(1));

    /// <summary>Applies the description's head activation (sigmoid or softmax over the last axis; identity for linear).</summary>
    public Tensor Activate(Tensor logits) => _description.Activation switch
    {
        HeadActivation.Sigmoid => torch.sigmoid(logits),
        HeadActivation.Softmax => torch.softmax(logits, -1),
        _ => logits.alias(),
    };

    private (Tensor Sequence, Tensor Hidden, Tensor? Cell) Run(Tensor x, Tensor? h0, Tensor? c0)
    {
        switch (rnn!)
        {
            case LSTM lstm:
            {
                var (y, h, c) = lstm.call(x, LstmState(h0, c0));
                return (y, h, c);
            }
            case GRU gru:
            {
                var (y, h) = gru.call(x, h0);
                return (y, h, null);
            }
            case RNN plain:
            {
                var (y, h) = plain.call(x, h0);
                return (y, h, null);
            }
            default:
                throw new InvalidOperationException("Unknown recurrent module.");
        }
    }

    private (PackedSequence Sequence, Tensor Hidden, Tensor? Cell) RunPacked(PackedSequence x, Tensor? h0, Tensor? c0)
    {
        switch (rnn!)
        {
            case LSTM lstm:
            {
                var (y, h, c) = lstm.call(x, LstmState(h0, c0));
                return (y, h, c);
            }
            case GRU gru:
            {
                var (y, h) = gru.call(x, h0);
                return (y, h, null);
            }
            case RNN plain:
            {
                var (y, h) = plain.call(x, h0);
                return (y, h, null);
            }
            default:
                throw new InvalidOperationException("Unknown recurrent module.");
        }
    }

    // LSTM takes both states or neither; a missing one is zeros of the other's shape.
    private static (Tensor, Tensor)? LstmState(Tensor? h0, Tensor? c0)
    {
        if (h0 is null && c0 is null)
            return null;
        var like = h0 ?? c0!;
        return (h0 ?? torch.zeros_like(like), c0 ?? torch.zeros_like(like));
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
            tensors.Add(new NamedTensor(StandardName(name), cpu.shape, cpu.data<float>().ToArray()));
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
            var source = weights.Get(StandardName(name), parameter.shape);
            using var values = torch.tensor(source.Data, source.Shape, dtype: parameter.dtype, device: parameter.device);
            parameter.copy_(values);
        }
    }

    // The masked stack's parameters travel under the packed stack's PyTorch names, so both train, export and import alike.
    private string StandardName(string name) => masked?.StandardName(name) ?? name;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            embedding?.Dispose();
            rnn?.Dispose();
            masked?.Dispose();
            head.Dispose();
            wide?.Dispose();
            chars?.Dispose();
        }
        base.Dispose(disposing);
    }
}
