namespace MlNetRnn.Trainers.Network;

/// <summary>
/// How an ensemble's member weights (forecaster or text classifier) are named in one weight set (and so in the ONNX graph): a single network keeps its
/// parameter names, member <c>k</c> of an ensemble prefixes them with <c>member{k}.</c>.
/// </summary>
internal static class EnsembleWeights
{
    /// <summary>The prefix of member <paramref name="member"/> among <paramref name="members"/>: empty for a single network.</summary>
    public static string Prefix(int members, int member) => EnsembleNaming.MemberPrefix(members, member);

    /// <summary>One network's weights named as member <paramref name="member"/> of the ensemble.</summary>
    public static IEnumerable<NamedTensor> Named(WeightSet network, int members, int member)
    {
        string prefix = Prefix(members, member);
        return network.Tensors.Select(t => new NamedTensor(prefix + t.Name, t.Shape, t.Data));
    }

    /// <summary>Member <paramref name="member"/>'s weights out of the ensemble's, named as one network's parameters.</summary>
    public static WeightSet Member(WeightSet ensemble, int members, int member)
    {
        string prefix = Prefix(members, member);
        return new WeightSet(ensemble.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(t => new NamedTensor(t.Name[prefix.Length..], t.Shape, t.Data)));
    }
}
