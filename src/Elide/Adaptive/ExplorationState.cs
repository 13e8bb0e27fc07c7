using System.Text.Json;
using System.Text.Json.Serialization;

namespace Elide.Adaptive;

/// <summary>
/// What an exploration has done so far, persisted after every batch of evaluations so `elide explore` resumes where
/// it stopped: the scored configurations (keyed by mask) and the calibrated cost models. A state only applies to the
/// same model, dataset and evaluation subset (<see cref="Identity"/>); a mismatch starts afresh rather than mixing
/// accuracies measured on different data.
/// </summary>
public sealed record ExplorationState
{
    /// <summary>Model, dataset and subset the scores belong to.</summary>
    [JsonPropertyName("identity")] public required string Identity { get; init; }

    /// <summary>Mask → accuracy on the evaluation subset.</summary>
    [JsonPropertyName("evaluated")] public Dictionary<string, double> Evaluated { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Calibrated cost models (batch 1, large batch), once measured.</summary>
    [JsonPropertyName("cost_models")] public List<BlockCostModel>? CostModels { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>The state saved at <paramref name="path"/> if it exists and has this identity; otherwise a fresh one.</summary>
    /// <exception cref="FormatException">The file exists but is not a state.</exception>
    public static ExplorationState LoadOrCreate(string path, string identity)
    {
        if (!File.Exists(path)) return new ExplorationState { Identity = identity };
        ExplorationState? state;
        try { state = JsonSerializer.Deserialize<ExplorationState>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new FormatException($"exploration state {path} is malformed ({e.Message}); delete it to start afresh", e); }
        if (state is null || state.Identity != identity) return new ExplorationState { Identity = identity };
        return state with { Evaluated = new Dictionary<string, double>(state.Evaluated, StringComparer.Ordinal) };
    }

    /// <summary>Writes the state atomically (a temporary file renamed over the old one), so an interruption never leaves half a file.</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, full, overwrite: true);
    }
}
