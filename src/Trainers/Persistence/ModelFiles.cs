
namespace MlNetRnn.Trainers.Persistence;

/// <summary>Checks shared by the model loaders: the path is a file, the weights match their digest, and ML.NET's load failures name the file.</summary>
internal static class ModelFiles
{
    /// <summary>Throws a clear error when <paramref name="path"/> is a folder or does not exist.</summary>
    /// <param name="path">The path given to the loader.</param>
    /// <param name="what">What the file is, capitalised ("Model file", "Language model file").</param>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    public static void RequireFile(string path, string what)
    {
        // File.Exists is false for a folder, which would be reported as "does not exist": say what it is instead.
        if (Directory.Exists(path))
            throw new IOException($"{what} '{path}' is a folder; a file is expected. Give the path of the model file inside it.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
    }

    /// <summary>Checks the weights of the ONNX model embedded in the ML.NET model zip <paramref name="zipPath"/> against their digest.</summary>
    /// <exception cref="InvalidDataException">The weights were altered or corrupted (the zip named).</exception>
    public static void VerifyEmbeddedWeights(byte[] onnx, string zipPath) =>
        OnnxModelImporter.VerifyWeights(onnx, $"The ONNX model inside '{zipPath}'");

    /// <summary>
    /// The error for a model zip that passed the library's own checks but that ML.NET's loader cannot rebuild (a damaged entry gives
    /// ML.NET's bare "Error during class instantiation"): names the file, the innermost cause, and what to do.
    /// </summary>
    public static InvalidDataException Damaged(string zipPath, Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
            inner = inner.InnerException;
        string cause = ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message}: {inner.Message}";
        return new InvalidDataException($"'{zipPath}' is damaged: ML.NET could not rebuild the model's pipeline from it ({cause}). " +
                                        "The file was altered, truncated or corrupted after it was saved; save the model again (or rerun the command that wrote it).", ex);
    }
}
