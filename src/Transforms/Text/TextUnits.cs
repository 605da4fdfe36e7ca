using System.Text;

namespace MlNetRnn.Transforms.Text;

/// <summary>What a language model's tokens are.</summary>
public enum TextUnit
{
    /// <summary>One token per Unicode scalar value (a surrogate pair stays one token).</summary>
    Character = 0,

    /// <summary>Words and the whitespace runs between them, each one token, so text decodes back exactly.</summary>
    Word = 1,
}

/// <summary>Splits text into tokens and joins tokens back into text, for <see cref="TextUnit"/>s.</summary>
public static class TextUnits
{
    /// <summary>Splits <paramref name="text"/> into tokens; concatenating them gives the text back.</summary>
    public static List<string> Split(string text, TextUnit unit)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>(unit == TextUnit.Character ? text.Length : text.Length / 4);
        if (unit == TextUnit.Character)
        {
            foreach (var rune in text.EnumerateRunes())
                tokens.Add(rune.ToString());
            return tokens;
        }
        // Whitespace runs are tokens too: generation then reproduces line breaks and spacing as the corpus had them.
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || char.IsWhiteSpace(text[i]) != char.IsWhiteSpace(text[i - 1]))
            {
                tokens.Add(text[start..i]);
                start = i;
            }
        }
        return tokens;
    }

    /// <summary>Joins tokens back into text.</summary>
    public static string Join(IEnumerable<string> tokens)
    {
        var sb = new StringBuilder();
        foreach (var t in tokens)
            sb.Append(t);
        return sb.ToString();
    }
}
