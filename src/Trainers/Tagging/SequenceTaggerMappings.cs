using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>
/// The stateless step of a saved tagger that ML.NET's stock transforms cannot do: each token's Unicode code points (the graph's
/// <c>token_chars</c> input, <see cref="CharacterConvolution.MaxCharacters"/> per token, zero-padded). A CustomMapping factory, so a
/// saved tagger loads after <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(SequenceTaggerMappings).Assembly)</c>
/// (<c>mlContext.Rnn().LoadSequenceTagger</c> does that).
/// </summary>
public static class SequenceTaggerMappings
{
    /// <summary>Contract name of the code-point mapping.</summary>
    public const string CodePointsContract = "MlNetRnn.TokenCodePoints.v1";

    /// <summary>Input: a sentence's tokens (the graph's <c>tokens</c> column).</summary>
    public sealed class TokensInput
    {
        /// <summary>The tokens.</summary>
        [VectorType, ColumnName(SequenceOnnxNames.Tokens)]
        public string[] Tokens { get; set; } = Array.Empty<string>();
    }

    /// <summary>Output: the tokens' code points, row-major.</summary>
    public sealed class CodePointsOutput
    {
        /// <summary><see cref="CharacterConvolution.MaxCharacters"/> code points per token.</summary>
        [VectorType, ColumnName(SequenceOnnxNames.TokenCharacters)]
        public long[] CodePoints { get; set; } = Array.Empty<long>();
    }

    /// <summary>The factory ML.NET finds by <see cref="CodePointsContract"/> when it loads a saved tagger.</summary>
    [CustomMappingFactoryAttribute(CodePointsContract)]
    public sealed class CodePointsFactory : CustomMappingFactory<TokensInput, CodePointsOutput>
    {
        /// <summary>Writes each token's code points.</summary>
        public static void Map(TokensInput input, CodePointsOutput output)
        {
            int width = CharacterConvolution.MaxCharacters;
            var values = new long[input.Tokens.Length * width];
            for (int i = 0; i < input.Tokens.Length; i++)
                CharacterConvolution.CodePointsOf(input.Tokens[i] ?? string.Empty, values.AsSpan(i * width, width));
            output.CodePoints = values;
        }

        /// <inheritdoc/>
        public override Action<TokensInput, CodePointsOutput> GetMapping() => Map;
    }
}
