using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elide.Server.Tests;

/// <summary>Builds Open Inference Protocol request bodies and reads responses.</summary>
internal static class Requests
{
    public static string Json(float[] data, int images = 1, string name = "input", string datatype = "FP32", int[]? shape = null, string? id = null)
    {
        var input = new JsonObject
        {
            ["name"] = name,
            ["shape"] = new JsonArray((shape ?? [images, 1, 8, 8]).Select(d => (JsonNode)d).ToArray()),
            ["datatype"] = datatype,
            ["data"] = new JsonArray(data.Select(v => (JsonNode)v).ToArray()),
        };
        var root = new JsonObject { ["inputs"] = new JsonArray(input) };
        if (id is not null) root["id"] = id;
        return root.ToJsonString();
    }

    public static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> Infer(HttpClient client, float[] data, int images = 1, string model = "tiny", string? id = null) =>
        client.PostAsync($"/v2/models/{model}/infer", JsonContent(Json(data, images, id: id)));

    /// <summary>Output values and the response parameters.</summary>
    public static (float[] Output, JsonObject Parameters, JsonObject Root) ReadResult(string body)
    {
        var root = JsonNode.Parse(body)!.AsObject();
        var data = root["outputs"]![0]!["data"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        return (data, root["parameters"]!.AsObject(), root);
    }

    public static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>A binary-extension body: JSON header then raw little-endian floats.</summary>
    public static ByteArrayContent Binary(float[] data, int images, bool binaryOutput)
    {
        string binary = binaryOutput ? "true" : "false";
        string header = "{\"inputs\":[{\"name\":\"input\",\"shape\":[" + images + ",1,8,8],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":" + data.Length * 4
            + "}}],\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"binary_data\":" + binary + "}}]}";
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var body = new byte[headerBytes.Length + data.Length * 4];
        headerBytes.CopyTo(body, 0);
        Buffer.BlockCopy(data, 0, body, headerBytes.Length, data.Length * 4);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", headerBytes.Length.ToString());
        return content;
    }
}
