import Testing
@testable import RTBench

@Suite struct AnswerScoreTests {
    static func question(_ text: String) -> AccuracyQuestion {
        AccuracyQuestion.builtIn.first { $0.text == text }!
    }

    @Test func numberWordsAreReadAsNumbers() {
        #expect(AnswerScore.normalize("Twenty-four hours, one hundred degrees, a hundred, Two hundred.") == "24 hours 100 degrees 100 200")
        #expect(AnswerScore.isRight("There are twenty four hours in a day.", Self.question("How many hours are there in a day?")))
        #expect(AnswerScore.isRight("It is 100°C (212°F).", Self.question("What is the boiling point of water in degrees Celsius?")))
        #expect(!AnswerScore.isRight("About 1.80 degrees Celsius.", Self.question("What is the boiling point of water in degrees Celsius?")))
        #expect(!AnswerScore.isRight("Seven plus eight is fifty.", Self.question("What is seven plus eight?")))
    }

    @Test func wordsMatchWholeAndTheFirstAnswerCounts() {
        let sun = Self.question("Is the sun a star?")
        #expect(AnswerScore.isRight("Yes, the sun is a star, not a planet.", sun))
        #expect(!AnswerScore.isRight("No, the sun is not a star.", sun))
        #expect(!AnswerScore.isRight("The answer is no; yes, people ask it often.", sun))
        let shorter = Self.question("Tom is taller than Sam. Who is shorter?")
        #expect(!AnswerScore.isRight("Tom is shorter than Sam.", shorter))
        #expect(AnswerScore.isRight("Sam is shorter.", shorter))
        // "cartoon" holds "car" but is not the word.
        #expect(!AnswerScore.isRight("A cartoon feather.", Self.question("Which is heavier, a car or a feather?")))
    }

    @Test func theSetHasBothSplitsAndEveryCategoryInEach() {
        for split in AccuracyQuestion.Split.allCases {
            let questions = AccuracyQuestion.builtIn.filter { $0.split == split }
            #expect(questions.count >= 20)
            #expect(Set(questions.map(\.category)) == Set(AccuracyQuestion.Category.allCases))
        }
        #expect(Set(AccuracyQuestion.builtIn.map(\.text)).count == AccuracyQuestion.builtIn.count)
    }
}
