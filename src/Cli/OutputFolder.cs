namespace MlNetRnn.Cli;

/// <summary>Checks the output folder before any training starts, so a bad --output fails in a second, not after minutes.</summary>
internal static class OutputFolder
{
    /// <exception cref="IOException">The folder cannot be created or written to.</exception>
    public static void EnsureWritable(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".write-check-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write to the output folder '{directory}': {ex.Message} Choose another folder with --output.", ex);
        }
    }
}
