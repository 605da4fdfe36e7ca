using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Network;

/// <summary>
/// The TorchSharp twin of the exported spelling features (<see cref="CharacterConvolution"/>): character embedding (row 0, the
/// padding character, fixed at zero), 1-D convolution, ReLU, zeros at padding characters, maximum over a token's characters.
/// Parameter names (<c>embedding.weight</c>, <c>conv.weight</c>, <c>conv.bias</c>) follow the exporter's <c>chars.*</c> names.
/// </summary>
internal sealed class CharacterConvolutionModule : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly Conv1d conv;
    private readonly CharacterConvolution _shape;

    public CharacterConvolutionModule(CharacterConvolution shape) : base(nameof(CharacterConvolutionModule))
    {
        _shape = shape;
        embedding = nn.Embedding(shape.AlphabetSize, shape.EmbeddingSize, padding_idx: CharacterConvolution.PadId);
        conv = nn.Conv1d(shape.EmbeddingSize, shape.Filters, shape.KernelWidth, padding: shape.KernelWidth / 2);
        RegisterComponents();
    }

    /// <summary>Character ids <c>[batch, seq, chars]</c> (int64) → features <c>[batch, seq, filters]</c>.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        long batch = ids.shape[0], steps = ids.shape[1], width = ids.shape[2];
        var words = embedding.call(ids).reshape(batch * steps, width, _shape.EmbeddingSize).transpose(1, 2);
        var activated = nn.functional.relu(conv.call(words));
        // After the ReLU every real value is ≥ 0, so zeroing the padding characters never changes a maximum (and an empty token gives 0).
        var valid = ids.ne(CharacterConvolution.PadId).reshape(batch * steps, 1, width).to(activated.dtype);
        return activated.mul(valid).amax(new long[] { 2 }).reshape(batch, steps, _shape.Filters).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            embedding.Dispose();
            conv.Dispose();
        }
        base.Dispose(disposing);
    }
}
