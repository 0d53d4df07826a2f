/// A spoken question with a checkable answer, after Big Bench Audio's speech-to-speech format:
/// the reply is right when it contains an accepted answer and none of the answers that would
/// contradict it (`AnswerScore`).
struct AccuracyQuestion: Sendable, Equatable {
    enum Category: String, Sendable, CaseIterable { case arithmetic, fact, yesNo = "yes_no", choice, reasoning }
    /// Questions used while changing prompts and settings, and questions kept out of that work
    /// (what is reported).
    enum Split: String, Sendable, CaseIterable { case tuning, heldOut = "held_out" }

    var text: String
    var category: Category
    var split: Split
    /// Phrases any one of which makes the reply right (numbers as digits).
    var accepted: [String]
    /// Phrases that make the reply wrong even with an accepted one in it (a "no" to a yes-question).
    var rejected: [String] = []
}

extension AccuracyQuestion {
    /// The built-in set: 22 tuning and 23 held-out questions, the categories spread over both.
    static let builtIn: [AccuracyQuestion] = tuning + heldOut

    private static let tuning: [AccuracyQuestion] = [
        .init(text: "What is two plus three?", category: .arithmetic, split: .tuning, accepted: ["5"]),
        .init(text: "What is ten minus four?", category: .arithmetic, split: .tuning, accepted: ["6"]),
        .init(text: "What is three times four?", category: .arithmetic, split: .tuning, accepted: ["12"]),
        .init(text: "What is half of ten?", category: .arithmetic, split: .tuning, accepted: ["5"]),
        .init(text: "What is seven plus eight?", category: .arithmetic, split: .tuning, accepted: ["15"]),
        .init(text: "What is the capital of France?", category: .fact, split: .tuning, accepted: ["paris"]),
        .init(text: "How many days are there in a week?", category: .fact, split: .tuning, accepted: ["7"]),
        .init(text: "What is the boiling point of water in degrees Celsius?", category: .fact, split: .tuning, accepted: ["100"]),
        .init(text: "Which planet is known as the red planet?", category: .fact, split: .tuning, accepted: ["mars"]),
        .init(text: "How many legs does a spider have?", category: .fact, split: .tuning, accepted: ["8"]),
        .init(text: "What is the largest ocean on Earth?", category: .fact, split: .tuning, accepted: ["pacific"]),
        .init(text: "What gas do plants take in from the air?", category: .fact, split: .tuning, accepted: ["carbon dioxide", "co2"]),
        .init(text: "Is the sun a star?", category: .yesNo, split: .tuning, accepted: ["yes", "is a star"], rejected: ["no", "not"]),
        .init(text: "Is ice colder than boiling water?", category: .yesNo, split: .tuning, accepted: ["yes", "colder"], rejected: ["no", "not", "warmer", "hotter"]),
        .init(text: "Do fish live in water?", category: .yesNo, split: .tuning, accepted: ["yes", "live in water"], rejected: ["no", "not"]),
        .init(text: "Can a dog fly?", category: .yesNo, split: .tuning, accepted: ["no", "cannot", "can not", "can't"], rejected: ["yes"]),
        .init(text: "Which is a fruit, a carrot or an apple?", category: .choice, split: .tuning, accepted: ["apple"], rejected: ["carrot is a fruit", "carrot is the fruit", "answer is a carrot", "answer is the carrot"]),
        .init(text: "Which is bigger, an elephant or a mouse?", category: .choice, split: .tuning, accepted: ["elephant"], rejected: ["mouse is bigger", "mice are bigger", "mouse is the bigger"]),
        .init(text: "Which is hotter, the sun or the moon?", category: .choice, split: .tuning, accepted: ["sun"], rejected: ["moon is hotter"]),
        .init(text: "If I have three apples and eat one, how many are left?", category: .reasoning, split: .tuning, accepted: ["2"]),
        .init(text: "Tom is taller than Sam. Who is shorter?", category: .reasoning, split: .tuning, accepted: ["sam is shorter", "sam is the shorter", "sam"], rejected: ["tom is shorter", "tom is the shorter"]),
        .init(text: "What day comes after Monday?", category: .reasoning, split: .tuning, accepted: ["tuesday"]),
    ]

    private static let heldOut: [AccuracyQuestion] = [
        .init(text: "What is four plus four?", category: .arithmetic, split: .heldOut, accepted: ["8"]),
        .init(text: "What is nine minus five?", category: .arithmetic, split: .heldOut, accepted: ["4"]),
        .init(text: "What is two times five?", category: .arithmetic, split: .heldOut, accepted: ["10"]),
        .init(text: "What is six plus three?", category: .arithmetic, split: .heldOut, accepted: ["9"]),
        .init(text: "What is twenty divided by four?", category: .arithmetic, split: .heldOut, accepted: ["5"]),
        .init(text: "What is the capital of Italy?", category: .fact, split: .heldOut, accepted: ["rome"]),
        .init(text: "How many months are there in a year?", category: .fact, split: .heldOut, accepted: ["12"]),
        .init(text: "How many hours are there in a day?", category: .fact, split: .heldOut, accepted: ["24"]),
        .init(text: "What is the largest planet in our solar system?", category: .fact, split: .heldOut, accepted: ["jupiter"]),
        .init(text: "Which planet is closest to the sun?", category: .fact, split: .heldOut, accepted: ["mercury"]),
        .init(text: "What language do people speak in Brazil?", category: .fact, split: .heldOut, accepted: ["portuguese"]),
        .init(text: "Who was the first president of the United States?", category: .fact, split: .heldOut, accepted: ["washington"]),
        .init(text: "Is the moon bigger than the Earth?", category: .yesNo, split: .heldOut, accepted: ["no", "smaller", "not bigger"], rejected: ["yes"]),
        .init(text: "Do cats have wings?", category: .yesNo, split: .heldOut, accepted: ["no", "don't", "do not"], rejected: ["yes"]),
        .init(text: "Is Paris in France?", category: .yesNo, split: .heldOut, accepted: ["yes", "is in france"], rejected: ["no", "not"]),
        .init(text: "Can birds fly?", category: .yesNo, split: .heldOut, accepted: ["yes", "can fly"], rejected: ["no", "cannot", "can't"]),
        .init(text: "Which animal says moo, a cow or a cat?", category: .choice, split: .heldOut, accepted: ["cow"], rejected: ["cat says moo", "answer is a cat", "answer is the cat"]),
        .init(text: "Which is heavier, a car or a feather?", category: .choice, split: .heldOut, accepted: ["car"], rejected: ["feather is heavier"]),
        .init(text: "Which one is a colour, blue or table?", category: .choice, split: .heldOut, accepted: ["blue"], rejected: ["table is a colour", "table is a color"]),
        .init(text: "If a week has seven days, how many days are in two weeks?", category: .reasoning, split: .heldOut, accepted: ["14"]),
        .init(text: "Anna is older than Ben. Who is younger?", category: .reasoning, split: .heldOut, accepted: ["ben"], rejected: ["anna is younger", "anna is the younger"]),
        .init(text: "What day comes after Wednesday?", category: .reasoning, split: .heldOut, accepted: ["thursday"]),
        .init(text: "I had five coins and found two more. How many coins do I have now?", category: .reasoning, split: .heldOut, accepted: ["7"]),
    ]
}
