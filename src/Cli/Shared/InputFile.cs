namespace MlNetRnn.Cli.Shared;

/// <summary>
/// Checks and reads the files a command is given (--data, --corpus, --model), so a wrong path, a folder, a binary file or text in
/// another encoding fails at once with the file, the place and what to do, instead of training on replacement characters.
/// </summary>
internal static class InputFile
{
    /// <summary>Throws when <paramref name="path"/> is a folder or does not exist.</summary>
    /// <param name="path">Full path of the file.</param>
    /// <param name="what">What the file is, capitalised ("Data file", "Corpus file", "Model file").</param>
    /// <param name="option">The option that named it ("--data").</param>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    public static void RequireFile(string path, string what, string option)
    {
        if (Directory.Exists(path))
            throw new IOException($"{what} '{path}' ({option}) is a folder; a file is expected. Give the path of the file inside it.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{what} '{path}' ({option}) does not exist.", path);
    }

    /// <summary>
    /// Reads a text file that must be UTF-8 (a UTF-8 byte-order mark is allowed and dropped). Refuses files in UTF-16/UTF-32, files
    /// with bytes that are not UTF-8, and binary files (a NUL byte, or a control character other than tab, line feed, carriage
    /// return and form feed), naming the byte offset and line.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is binary or not UTF-8 (file, byte offset, line and byte named).</exception>
    public static string ReadUtf8Text(string path, string what, string option) => DecodeUtf8(File.ReadAllBytes(path), $"{what} '{path}' ({option})");

    /// <inheritdoc cref="Utf8Text.Decode"/>
    internal static string DecodeUtf8(byte[] bytes, string source) => Utf8Text.Decode(bytes, source);
}
