package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class MergePatchTest {
  final ObjectMapper json = new ObjectMapper();

  JsonNode j(String s) throws Exception {
    return json.readTree(s.replace('\'', '"'));
  }

  @Test
  void removedFieldsAreNulledArraysReplacedAndApplyingGivesTheDesiredDocument() throws Exception {
    JsonNode stored = j("{'a':1,'gone':2,'list':[1,2,3],'obj':{'keep':1,'drop':2},'remediation':{'id':'r1'}}");
    JsonNode desired = j("{'a':1,'list':[9],'obj':{'keep':3},'remediation':{'id':'r1'},'new':true}");
    JsonNode patch = MergePatch.replacing(stored, desired);
    assertEquals(j("{'a':1,'gone':null,'list':[9],'obj':{'keep':3,'drop':null},'remediation':{'id':'r1'},'new':true}"),
        patch);
    assertEquals(desired, Rfc7386.apply(stored, patch));
  }

  @Test
  void withNothingStoredThePatchIsTheDocument() throws Exception {
    JsonNode desired = j("{'a':[1]}");
    assertEquals(desired, MergePatch.replacing(null, desired));
    assertEquals(desired, Rfc7386.apply(null, desired));
  }
}
