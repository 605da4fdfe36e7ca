using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>Sentences read from an IDataView: the tokens of each row and, when a tags column is read, one tag per token.</summary>
/// <param name="Tokens">Tokens per row.</param>
/// <param name="Tags">Tags per row (same lengths as <paramref name="Tokens"/>), or null when no tags column was read.</param>
internal sealed record TaggedSentences(IReadOnlyList<string[]> Tokens, IReadOnlyList<string[]>? Tags)
{
    /// <summary>Tokens in all rows.</summary>
    public long TokenCount => Tokens.Sum(t => (long)t.Length);

    /// <summary>Checks the tokens column's type: a vector of String.</summary>
    /// <exception cref="ArgumentException">The column is missing or another type.</exception>
    public static DataViewSchema.Column RequireTokens(DataViewSchema schema, string column)
    {
        var c = SchemaValidation.RequireColumn(schema, column, "tokens");
        if (c.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentException($"The tokens column '{column}' must be a vector of String (one sentence per row, split into tokens, for example with " +
                                        $"mlContext.Transforms.Text.TokenizeIntoWords), but it is {SchemaValidation.Describe(c.Type)}.");
        return c;
    }

    /// <summary>
    /// Reads every row. With <paramref name="tagsColumn"/>, each row's tags must be as many as its tokens (an error names the row and
    /// both lengths); a key tag's name is its key value. Empty sentences are an error when <paramref name="allowEmpty"/> is false.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or mistyped, a row's lengths differ, a tag is missing, or a sentence is empty.</exception>
    public static TaggedSentences Read(IDataView data, string tokensColumn, string? tagsColumn, bool allowEmpty = false)
    {
        var tokens = RequireTokens(data.Schema, tokensColumn);
        DataViewSchema.Column? tags = null;
        string[]? keyNames = null;
        if (tagsColumn is not null)
        {
            tags = SchemaValidation.RequireColumn(data.Schema, tagsColumn, "tags");
            if (tags.Value.Type is VectorDataViewType { ItemType: KeyDataViewType key })
                keyNames = SchemaValidation.KeyNames(tags.Value, (int)key.Count);
            else if (tags.Value.Type is not VectorDataViewType { ItemType: TextDataViewType })
                throw new ArgumentException($"The tags column '{tagsColumn}' must be a vector of String or of a key (one tag per token), but it is " +
                                            $"{SchemaValidation.Describe(tags.Value.Type)}.");
        }
        var rows = new List<string[]>();
        var tagRows = tags is null ? null : new List<string[]>();
        using var cursor = data.GetRowCursor(tags is null ? new[] { tokens } : new[] { tokens, tags.Value });
        var tokenGetter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(tokens);
        ValueGetter<VBuffer<ReadOnlyMemory<char>>>? textTags = tags is not null && keyNames is null ? cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(tags.Value) : null;
        ValueGetter<VBuffer<uint>>? keyTags = keyNames is not null ? cursor.GetGetter<VBuffer<uint>>(tags!.Value) : null;
        VBuffer<ReadOnlyMemory<char>> buffer = default, tagBuffer = default;
        VBuffer<uint> keyBuffer = default;
        for (long row = 1; cursor.MoveNext(); row++)
        {
            tokenGetter(ref buffer);
            var words = buffer.DenseValues().Select(m => m.ToString()).ToArray();
            if (words.Length == 0 && !allowEmpty)
                throw new ArgumentException($"Row {row} has no tokens in column '{tokensColumn}'; a tagger needs at least one token per sentence: drop empty rows first.");
            rows.Add(words);
            if (tagRows is null)
                continue;
            string[] rowTags;
            if (keyTags is not null)
            {
                keyTags(ref keyBuffer);
                rowTags = keyBuffer.DenseValues().Select((k, i) => k == 0
                    ? throw new ArgumentException($"Row {row}, token {i + 1} ('{words.ElementAtOrDefault(i)}') has a missing tag in column '{tagsColumn}'; every token needs a tag.")
                    : keyNames![k - 1]).ToArray();
            }
            else
            {
                textTags!(ref tagBuffer);
                rowTags = tagBuffer.DenseValues().Select(m => m.ToString()).ToArray();
            }
            if (rowTags.Length != words.Length)
                throw new ArgumentException($"Row {row} has {words.Length} tokens in column '{tokensColumn}' but {rowTags.Length} tags in column '{tagsColumn}'; " +
                                            "give every token exactly one tag.");
            for (int i = 0; i < rowTags.Length; i++)
            {
                if (rowTags[i].Length == 0)
                    throw new ArgumentException($"Row {row}, token {i + 1} ('{words[i]}') has an empty tag in column '{tagsColumn}'; every token needs a tag.");
            }
            tagRows.Add(rowTags);
        }
        return new TaggedSentences(rows, tagRows);
    }
}
